// `!stop` across processes: a key per room holding when the stop was requested (the requester's
// clock, like the `since` of the process generating the reply), consumed atomically.
import type { Redis } from 'ioredis';
import { STOP_TTL_MS } from '../options.ts';
import type { StopSignals } from '../types.ts';

/** KEYS: stop keys. ARGV: their `since`, in the same order. Returns the 1-based indexes consumed. */
const CONSUME = `
local consumed = {}
for i, key in ipairs(KEYS) do
  local at = tonumber(redis.call('GET', key))
  if at and at >= tonumber(ARGV[i]) then
    redis.call('DEL', key)
    consumed[#consumed + 1] = i
  end
end
return consumed
`;

/** Keys per script call: one call per tick for the replies in progress, in slices of this size. */
const BATCH = 1000;

export class RedisStopSignals implements StopSignals {
  private readonly redis: Redis & {
    clawConsumeStops(count: number, ...keysThenSinces: (string | number)[]): Promise<number[]>;
  };

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
  ) {
    redis.defineCommand('clawConsumeStops', { lua: CONSUME });
    this.redis = redis as typeof this.redis;
  }

  async requestStop(roomId: string): Promise<void> {
    await this.redis.set(`${this.keyPrefix}stop:${roomId}`, String(Date.now()), 'PX', STOP_TTL_MS);
  }

  async consumeStop(roomId: string, since: number): Promise<boolean> {
    return (await this.consumeStops([{ roomId, since }])).length === 1;
  }

  async consumeStops(queries: readonly { roomId: string; since: number }[]): Promise<string[]> {
    const stopped: string[] = [];
    for (let start = 0; start < queries.length; start += BATCH) {
      const slice = queries.slice(start, start + BATCH);
      const keys = slice.map((q) => `${this.keyPrefix}stop:${q.roomId}`);
      const consumed = await this.redis.clawConsumeStops(slice.length, ...keys, ...slice.map((q) => q.since));
      for (const index of consumed) stopped.push(slice[index - 1]!.roomId);
    }
    return stopped;
  }
}
