// How many members a room has, cached per process: a room with more than two joined members is a group,
// where the bot answers only when addressed. Membership events from the homeserver invalidate the entry.
import type { MatrixClientApi } from '../matrix/client-api.ts';

const TTL_MS = 5 * 60_000;
const MAX_ROOMS = 50_000;

export class RoomMembers {
  private readonly cache = new Map<string, { count: number; at: number }>();
  private readonly pending = new Map<string, Promise<number>>();

  constructor(private readonly api: MatrixClientApi) {}

  invalidate(roomId: string): void {
    this.cache.delete(roomId);
  }

  async count(roomId: string): Promise<number> {
    const hit = this.cache.get(roomId);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.count;
    let inFlight = this.pending.get(roomId);
    if (!inFlight) {
      inFlight = this.api.joinedMemberCount(roomId).finally(() => this.pending.delete(roomId));
      this.pending.set(roomId, inFlight);
    }
    const count = await inFlight;
    if (this.cache.size >= MAX_ROOMS) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(roomId, { count, at: Date.now() });
    return count;
  }
}
