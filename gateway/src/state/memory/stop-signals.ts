import { STOP_TTL_MS } from '../options.ts';
import type { StopSignals } from '../types.ts';
import { TtlLru } from './ttl-lru.ts';

export class MemoryStopSignals implements StopSignals {
  private readonly requested = new TtlLru<number>(100_000, STOP_TTL_MS);

  async requestStop(roomId: string): Promise<void> {
    this.requested.set(roomId, Date.now());
  }

  async consumeStop(roomId: string, since: number): Promise<boolean> {
    const at = this.requested.get(roomId);
    if (at === undefined || at < since) return false;
    this.requested.delete(roomId);
    return true;
  }

  async consumeStops(queries: readonly { roomId: string; since: number }[]): Promise<string[]> {
    const stopped: string[] = [];
    for (const { roomId, since } of queries) if (await this.consumeStop(roomId, since)) stopped.push(roomId);
    return stopped;
  }
}
