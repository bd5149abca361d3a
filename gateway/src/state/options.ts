// Options of the state backend, validated so that a bad value names itself.
import { z } from 'zod';

/** An empty string (an environment variable set to nothing) is the same as unset. */
const emptyAsUnset = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema);

export const stateBackendOptionsSchema = z.object({
  /** `redis://` or `rediss://`; absent = in-process state (one gateway process). */
  redisUrl: emptyAsUnset(
    z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
  ),
  /** Prefix of every Redis key (e.g. `clawchat:`); lets deployments and tests share one Redis. */
  keyPrefix: z.string().default('clawchat:'),
  /** A taken job not renewed within this time is handed to another consumer. */
  leaseMs: z.number().int().min(50).max(3_600_000),
  rateLimit: z.object({
    capacity: z.number().positive(),
    refillPerSecond: z.number().positive(),
  }),
  /** Forget a room's remembered history after this long without writes (absent: keep). */
  historyTtlSeconds: z.number().int().positive().optional(),
  /** How long a job id is remembered to drop duplicate enqueues. */
  dedupeTtlSeconds: z.number().int().positive().default(86_400),
  /**
   * Memory backend: the queue's journal file, so that queued jobs survive a restart or a crash
   * (absent: the queue is in memory only). Not used with Redis, whose queue is durable itself.
   */
  journalPath: emptyAsUnset(z.string().optional()),
  /** Memory backend bounds: rooms whose history is kept (least recently used dropped first). */
  maxRooms: z.number().int().positive().default(50_000),
});

export type StateBackendOptions = z.input<typeof stateBackendOptionsSchema> & {
  /** Redis connection errors (ioredis reconnects by itself); default: ignored. */
  onError?: (error: Error) => void;
  /** What the backend noticed at start and could handle (a damaged journal line); default: ignored. */
  onWarning?: (message: string) => void;
};
export type ResolvedStateOptions = z.output<typeof stateBackendOptionsSchema>;

export function resolveStateOptions(options: StateBackendOptions): ResolvedStateOptions {
  const { onError: _onError, onWarning: _onWarning, ...rest } = options;
  const parsed = stateBackendOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new TypeError(`state backend options: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** Time-to-live of reply progress records and of application-service transaction ids. */
export const REPLY_TTL_SECONDS = 7 * 86_400;
export const TRANSACTION_TTL_SECONDS = 86_400;
/** A `!stop` older than this is stale whatever the `since` asked. */
export const STOP_TTL_MS = 10 * 60_000;
