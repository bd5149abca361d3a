// Token buckets in Redis: one hash per key, updated atomically in Lua with Redis's clock.
import type { Redis } from 'ioredis';
import type { RateLimiter } from '../types.ts';

/** KEYS: bucket. ARGV: capacity, refill per ms. Returns {allowed 0|1, retryAfterMs}. */
const TAKE_TOKEN = `
local capacity = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
local allowed, retry = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.ceil((1 - tokens) / perMs)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / perMs) + 1000)
return {allowed, retry}
`;

export interface RedisRateLimiterOptions {
  keyPrefix: string;
  capacity: number;
  refillPerSecond: number;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis & {
    clawTakeToken(key: string, capacity: number, perMs: number): Promise<[number, number]>;
  };

  constructor(
    redis: Redis,
    private readonly options: RedisRateLimiterOptions,
  ) {
    redis.defineCommand('clawTakeToken', { numberOfKeys: 1, lua: TAKE_TOKEN });
    this.redis = redis as typeof this.redis;
  }

  async take(key: string): Promise<{ allowed: boolean; retryAfterMs: number }> {
    const [allowed, retryAfterMs] = await this.redis.clawTakeToken(
      `${this.options.keyPrefix}rate:${key}`,
      this.options.capacity,
      this.options.refillPerSecond / 1000,
    );
    return { allowed: allowed === 1, retryAfterMs: Number(retryAfterMs) };
  }
}
