// The processes sharing the edit budget: one hash, process id → "streams:expiresAt" (Redis's clock,
// TIME, as the queue's leases), cleaned of expired reports by the script that reads it.
import type { Redis } from 'ioredis';
import type { EditBudgetShares, OtherProcesses } from '../types.ts';

/** KEYS[1]: the hash. ARGV: process id, streams, ttl ms. Returns {other processes, their streams}. */
const REPORT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. (now + ttl))
local processes, streams = 0, 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if all[i] ~= ARGV[1] then
    local n, expires = string.match(all[i + 1], '^(%d+):(%d+)$')
    if n and tonumber(expires) > now then
      processes = processes + 1
      streams = streams + tonumber(n)
    else
      redis.call('HDEL', KEYS[1], all[i])
    end
  end
end
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return {processes, streams}
`;

export class RedisEditBudgetShares implements EditBudgetShares {
  private readonly redis: Redis & {
    clawReportStreams(
      key: string,
      processId: string,
      streams: number,
      ttlMs: number,
    ): Promise<[number, number]>;
  };
  private readonly key: string;

  constructor(redis: Redis, keyPrefix: string) {
    redis.defineCommand('clawReportStreams', { numberOfKeys: 1, lua: REPORT });
    this.redis = redis as typeof this.redis;
    this.key = `${keyPrefix}edit-budget`;
  }

  async report(processId: string, streams: number, ttlMs: number): Promise<OtherProcesses> {
    const [processes, others] = await this.redis.clawReportStreams(
      this.key,
      processId,
      Math.max(0, Math.floor(streams)),
      Math.max(1, Math.floor(ttlMs)),
    );
    return { processes, streams: others };
  }

  async leave(processId: string): Promise<void> {
    await this.redis.hdel(this.key, processId);
  }
}
