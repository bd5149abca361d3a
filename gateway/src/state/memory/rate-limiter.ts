// In-process token buckets, one per key; idle buckets are full again, so dropping them is harmless.
import type { RateLimiter } from '../types.ts';
import { TtlLru } from './ttl-lru.ts';

export interface TokenBucketOptions {
  capacity: number;
  refillPerSecond: number;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets: TtlLru<{ tokens: number; at: number }>;

  constructor(private readonly options: TokenBucketOptions) {
    const fullAfterMs = Math.ceil((options.capacity / options.refillPerSecond) * 1000);
    this.buckets = new TtlLru(100_000, fullAfterMs + 1000);
  }

  async take(key: string): Promise<{ allowed: boolean; retryAfterMs: number }> {
    const { capacity, refillPerSecond } = this.options;
    const now = performance.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    const tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * refillPerSecond);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      return { allowed: true, retryAfterMs: 0 };
    }
    this.buckets.set(key, { tokens, at: now });
    return { allowed: false, retryAfterMs: Math.ceil(((1 - tokens) / refillPerSecond) * 1000) };
  }
}
