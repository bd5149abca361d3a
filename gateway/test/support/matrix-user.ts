// The user's side of the conversation, through the real matrix-js-sdk: rooms with the bot, messages,
// and what the user sees of the bot's replies (the reply message, its edits, its latest content).
import '@clawchat/common/polyfills';
import type { RegisteredUser, TestHomeserver } from '@clawchat/local-synapse/harness';
import { Direction, type MatrixClient, Method } from 'matrix-js-sdk';
import { waitFor } from './wait.ts';

export interface RawEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  unsigned?: Record<string, unknown>;
}

export interface ObservedReply {
  reply: RawEvent;
  edits: RawEvent[];
  /** The latest content (the last edit's `m.new_content`, or the reply itself). */
  latest: Record<string, unknown>;
  state: string | undefined;
  body: string;
}

export class TestUser {
  constructor(
    readonly user: RegisteredUser,
    readonly client: MatrixClient,
  ) {}

  static async create(hs: TestHomeserver): Promise<TestUser> {
    const user = await hs.registerUser();
    return new TestUser(user, hs.createClient(user));
  }

  get userId(): string {
    return this.user.userId;
  }

  /** A direct chat with the bot, once the bot has joined. */
  async dmWith(botUserId: string): Promise<string> {
    const { room_id } = await this.client.createRoom({
      invite: [botUserId],
      is_direct: true,
      preset: 'trusted_private_chat' as never,
    });
    await this.waitForMember(room_id, botUserId);
    return room_id;
  }

  async waitForMember(roomId: string, userId: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `${userId} to join ${roomId}`,
      async () => {
        const members = await this.client.getJoinedRoomMembers(roomId);
        return userId in members.joined;
      },
      { timeoutMs, intervalMs: 200 },
    );
  }

  async send(roomId: string, content: Record<string, unknown>): Promise<string> {
    const res = await this.client.sendEvent(roomId, 'm.room.message' as never, content as never);
    return res.event_id;
  }

  sendText(roomId: string, body: string, extra: Record<string, unknown> = {}): Promise<string> {
    return this.send(roomId, { msgtype: 'm.text', body, ...extra });
  }

  /** The room's recent events, oldest first. */
  async timeline(roomId: string, limit = 200): Promise<RawEvent[]> {
    const res = await this.client.createMessagesRequest(roomId, null, limit, Direction.Backward);
    return (res.chunk as unknown as RawEvent[]).slice().reverse();
  }

  /** The bot's messages (not edits) answering `sourceEventId`, with their edits. */
  async repliesTo(
    roomId: string,
    sourceEventId: string,
    botUserId: string,
    limit = 200,
  ): Promise<ObservedReply[]> {
    const events = await this.timeline(roomId, limit);
    const replies = events.filter((e) => {
      if (e.sender !== botUserId || e.type !== 'm.room.message') return false;
      const rel = e.content['m.relates_to'] as Record<string, unknown> | undefined;
      return (
        (rel?.['m.in_reply_to'] as { event_id?: string } | undefined)?.event_id === sourceEventId &&
        rel?.rel_type !== 'm.replace'
      );
    });
    return replies.map((reply) => {
      const edits = events.filter(
        (e) =>
          e.sender === botUserId &&
          (e.content['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined)?.rel_type ===
            'm.replace' &&
          (e.content['m.relates_to'] as { event_id?: string }).event_id === reply.event_id,
      );
      const latest =
        (edits.at(-1)?.content['m.new_content'] as Record<string, unknown> | undefined) ?? reply.content;
      return {
        reply,
        edits,
        latest,
        state: (latest['org.clawchat.stream'] as { state?: string } | undefined)?.state,
        body: String(latest.body ?? ''),
      };
    });
  }

  /** Waits until the bot has posted its answer to `sourceEventId` (streaming or not) and returns it. */
  async firstReply(roomId: string, sourceEventId: string, botUserId: string): Promise<ObservedReply> {
    return waitFor(
      `the bot's reply to ${sourceEventId} to be posted`,
      async () => (await this.repliesTo(roomId, sourceEventId, botUserId))[0],
    );
  }

  /** Waits until the bot's answer to `sourceEventId` is final (not streaming) and returns it. */
  async finalReply(
    roomId: string,
    sourceEventId: string,
    botUserId: string,
    timeoutMs = 60_000,
  ): Promise<ObservedReply> {
    return waitFor(
      `the bot's final reply to ${sourceEventId}`,
      async () => {
        const replies = await this.repliesTo(roomId, sourceEventId, botUserId);
        const reply = replies[0];
        if (!reply) return undefined;
        if (reply.latest.msgtype === 'm.notice') return reply;
        return reply.state && reply.state !== 'streaming' ? reply : undefined;
      },
      { timeoutMs, intervalMs: 150 },
    );
  }

  /**
   * Follows who the homeserver says is typing in the room (the m.typing of /sync, as a client sees
   * it) until `stop()`: every change, in order. `ready` settles once the first /sync is in, so that
   * what follows is seen.
   */
  watchTyping(roomId: string): { changes: string[][]; ready: Promise<void>; stop: () => Promise<void> } {
    const changes: string[][] = [];
    let started!: () => void;
    const ready = new Promise<void>((resolve) => {
      started = resolve;
    });
    const filter = JSON.stringify({
      presence: { types: [] },
      account_data: { types: [] },
      room: {
        rooms: [roomId],
        timeline: { limit: 0 },
        state: { types: [] },
        account_data: { types: [] },
        ephemeral: { types: ['m.typing'] },
      },
    });
    let running = true;
    const loop = (async () => {
      let since: string | undefined;
      while (running) {
        const res = await this.client.http.authedRequest<{
          next_batch: string;
          rooms?: {
            join?: Record<
              string,
              { ephemeral?: { events?: { type: string; content: { user_ids?: string[] } }[] } }
            >;
          };
        }>(Method.Get, '/sync', { filter, timeout: since ? '500' : '0', ...(since ? { since } : {}) });
        since = res.next_batch;
        started();
        for (const event of res.rooms?.join?.[roomId]?.ephemeral?.events ?? []) {
          if (event.type === 'm.typing') changes.push(event.content.user_ids ?? []);
        }
      }
    })();
    return {
      changes,
      ready: Promise.race([ready, loop]),
      stop: async () => {
        running = false;
        await loop;
      },
    };
  }
}
