// Chooses the state backend: Redis when a URL is configured, in-process otherwise.
import { createMemoryBackend } from './memory/index.ts';
import { resolveStateOptions, type StateBackendOptions } from './options.ts';
import { createRedisBackend } from './redis/index.ts';
import type { StateBackend } from './types.ts';

export async function createStateBackend(options: StateBackendOptions): Promise<StateBackend> {
  const resolved = resolveStateOptions(options);
  if (resolved.redisUrl)
    return createRedisBackend({ ...resolved, redisUrl: resolved.redisUrl }, options.onError);
  return createMemoryBackend(resolved, options.onWarning);
}
