export { createStateBackend } from './backend.ts';
export { createMemoryBackend } from './memory/index.ts';
export { resolveStateOptions, type StateBackendOptions } from './options.ts';
export { createRedisBackend } from './redis/index.ts';
export * from './types.ts';
