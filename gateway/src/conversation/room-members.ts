// How many members a room has, cached per process: a room with more than two joined members is a group,
// where the bot answers only when addressed. Membership events from the homeserver invalidate the entry.
import type { MatrixClientApi } from '../matrix/client-api.ts';
import { inReplyTo, type MatrixEvent } from '../matrix/events.ts';
import { botMentionMatcher } from './message-kind.ts';

// Membership events invalidate entries; the TTL only bounds what a missed event could leave stale.
const TTL_MS = 60 * 60_000;
const MAX_ROOMS = 50_000;
const WORKER_MAX_AGE_MS = 60_000;

export class RoomMembers {
  private readonly cache = new Map<string, { count: number; at: number }>();
  private readonly pending = new Map<string, Promise<number>>();

  constructor(private readonly api: MatrixClientApi) {}

  /** The cached count, or undefined when it would take a request to know. */
  cached(roomId: string): number | undefined {
    const hit = this.cache.get(roomId);
    return hit && Date.now() - hit.at < TTL_MS ? hit.count : undefined;
  }

  invalidate(roomId: string): void {
    this.cache.delete(roomId);
  }

  /** The member count, from the cache when it is younger than `maxAgeMs`. */
  async count(roomId: string, maxAgeMs = TTL_MS): Promise<number> {
    const hit = this.cache.get(roomId);
    if (hit && Date.now() - hit.at < Math.min(maxAgeMs, TTL_MS)) return hit.count;
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

/**
 * Whether a message is meant for the bot: always in a room of two; in a group only when it mentions
 * the bot or replies to one of its messages. `quick` answers without any request ('unknown' when the
 * room's size is not cached), for the transaction path; `check` asks the homeserver when needed.
 */
export class Addressing {
  private readonly mentionsBot: (event: MatrixEvent) => boolean;

  constructor(
    private readonly api: MatrixClientApi,
    private readonly members: RoomMembers,
    private readonly botUserId: string,
    /** The names a message may call the bot by: its localpart and its display name. */
    botNames: readonly string[],
  ) {
    this.mentionsBot = botMentionMatcher(botUserId, botNames);
  }

  quick(event: MatrixEvent): 'yes' | 'no' | 'unknown' {
    if (this.mentionsBot(event)) return 'yes';
    const count = this.members.cached(event.room_id);
    if (count === undefined) {
      // Learn it in the background, so that the room's next messages are decided here.
      this.members.count(event.room_id).catch(() => {});
      return 'unknown';
    }
    if (count <= 2) return 'yes';
    return inReplyTo(event) ? 'unknown' : 'no';
  }

  async check(event: MatrixEvent): Promise<boolean> {
    if (this.mentionsBot(event)) return true;
    let count: number;
    try {
      // Membership events reach only the process receiving transactions: a worker's view may be older.
      count = await this.members.count(event.room_id, WORKER_MAX_AGE_MS);
    } catch {
      return true; // cannot tell: answering beats ignoring someone in a direct chat
    }
    if (count <= 2) return true;
    const repliedTo = inReplyTo(event);
    if (!repliedTo) return false;
    try {
      return (await this.api.getEvent(event.room_id, repliedTo)).sender === this.botUserId;
    } catch {
      return false;
    }
  }
}
