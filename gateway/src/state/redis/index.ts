import type { ResolvedStateOptions } from '../options.ts';
import type { StateBackend } from '../types.ts';
import { RedisConversationStore } from './conversation-store.ts';
import { RedisEditBudgetShares } from './edit-budget-shares.ts';
import { RedisRateLimiter } from './rate-limiter.ts';
import { RedisStopSignals } from './stop-signals.ts';
import { RedisWorkQueue } from './work-queue.ts';

export { RedisConversationStore, RedisEditBudgetShares, RedisRateLimiter, RedisStopSignals, RedisWorkQueue };

/**
 * Connects (failing fast with a clear error when Redis is unreachable or too old) and builds the backend.
 * ioredis is imported here, not by the module: the embedded backend (no REDIS_URL) never loads it.
 */
export async function createRedisBackend(
  options: ResolvedStateOptions & { redisUrl: string },
  onError: (error: Error) => void = () => {},
): Promise<StateBackend> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(options.redisUrl, { lazyConnect: true, connectionName: 'clawchat-gateway' });
  redis.on('error', onError);
  try {
    await redis.connect();
    const info = await redis.info('server');
    const version = /redis_version:(\d+)\.(\d+)/.exec(info);
    if (version && Number(version[1]) < 7) {
      throw new Error(`Redis ${version[1]}.${version[2]} is too old: the work queue needs Redis 7 (BLMPOP)`);
    }
  } catch (err) {
    redis.disconnect();
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`state backend: cannot use Redis at ${redactUrl(options.redisUrl)}: ${reason}`, {
      cause: err,
    });
  }
  const keyPrefix = options.keyPrefix;
  const queue = new RedisWorkQueue(redis, {
    keyPrefix,
    leaseMs: options.leaseMs,
    dedupeTtlSeconds: options.dedupeTtlSeconds,
  });
  return {
    kind: 'redis',
    queue,
    store: new RedisConversationStore(redis, {
      keyPrefix,
      ...(options.historyTtlSeconds ? { historyTtlSeconds: options.historyTtlSeconds } : {}),
    }),
    rateLimiter: new RedisRateLimiter(redis, { keyPrefix, ...options.rateLimit }),
    stops: new RedisStopSignals(redis, keyPrefix),
    editBudget: new RedisEditBudgetShares(redis, keyPrefix),
    close: async () => {
      await queue.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
