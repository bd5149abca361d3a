// `!stop` across processes: a key per room holding when the stop was requested (the requester's
// clock, like the `since` of the process generating the reply), consumed atomically.
import type { Redis } from 'ioredis';
import { STOP_TTL_MS } from '../options.ts';
import type { StopSignals } from '../types.ts';

/** KEYS: stop key. ARGV: since. */
const CONSUME = `
local at = tonumber(redis.call('GET', KEYS[1]))
if at and at >= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

export class RedisStopSignals implements StopSignals {
  private readonly redis: Redis & { clawConsumeStop(key: string, since: number): Promise<number> };

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
  ) {
    redis.defineCommand('clawConsumeStop', { numberOfKeys: 1, lua: CONSUME });
    this.redis = redis as typeof this.redis;
  }

  async requestStop(roomId: string): Promise<void> {
    await this.redis.set(`${this.keyPrefix}stop:${roomId}`, String(Date.now()), 'PX', STOP_TTL_MS);
  }

  async consumeStop(roomId: string, since: number): Promise<boolean> {
    return (await this.redis.clawConsumeStop(`${this.keyPrefix}stop:${roomId}`, since)) === 1;
  }
}
