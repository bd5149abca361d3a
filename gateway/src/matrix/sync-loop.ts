// `mode: sync`: for homeservers whose admin you are not, the bot is an ordinary user with an access
// token; this loop long-polls `/sync` and hands the events to the same intake as the application
// service. The first sync catches up: pending invites are accepted, and recent messages that came
// after the bot's last message (sent while no gateway was running) are answered.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../observability/logger.ts';
import type { MatrixClientApi, SyncResponse } from './client-api.ts';
import type { MatrixEvent } from './events.ts';

const FILTER = JSON.stringify({
  presence: { types: [] },
  account_data: { types: [] },
  room: {
    ephemeral: { types: [] },
    account_data: { types: [] },
    state: { lazy_load_members: true, types: ['m.room.member'] },
    timeline: { limit: 20 },
  },
});

/** On the first sync after a start, messages younger than this that the bot has not answered yet are answered. */
const CATCH_UP_WINDOW_MS = 10 * 60_000;

export function eventsFromSync(res: SyncResponse, botUserId: string, catchingUp: boolean): MatrixEvent[] {
  const events: MatrixEvent[] = [];
  for (const [roomId, room] of Object.entries(res.rooms?.invite ?? {})) {
    const invite = room.invite_state?.events?.find(
      (e) =>
        e.type === 'm.room.member' &&
        e.state_key === botUserId &&
        (e.content as { membership?: string })?.membership === 'invite',
    );
    if (invite && typeof invite.sender === 'string') {
      events.push({
        type: 'm.room.member',
        // Stripped state has no event id: the invite is keyed by room and sync position.
        event_id: `$invite.${roomId}.${res.next_batch}`,
        room_id: roomId,
        sender: invite.sender,
        state_key: botUserId,
        origin_server_ts: Date.now(),
        content: invite.content as Record<string, unknown>,
      });
    }
  }
  const recent = Date.now() - CATCH_UP_WINDOW_MS;
  for (const [roomId, room] of Object.entries(res.rooms?.join ?? {})) {
    let timeline = room.timeline?.events ?? [];
    if (catchingUp) {
      // After a restart: only what came after the bot's last message, and only recent messages
      // (older ones were answered before, or are too old to answer now).
      const lastByBot = timeline.findLastIndex((e) => e.sender === botUserId);
      timeline = timeline.slice(lastByBot + 1).filter((e) => (e.origin_server_ts as number) >= recent);
    }
    for (const event of timeline) {
      if (typeof event.event_id !== 'string' || typeof event.type !== 'string') continue;
      events.push({ ...event, room_id: roomId } as MatrixEvent);
    }
  }
  return events;
}

export interface SyncLoopOptions {
  api: MatrixClientApi;
  botUserId: string;
  log: Logger;
  handleEvents(events: MatrixEvent[]): Promise<void>;
  timeoutMs?: number;
}

export class SyncLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private since: string | undefined;

  constructor(private readonly o: SyncLoopOptions) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const catchingUp = this.since === undefined;
        const res = await this.o.api.sync({
          since: this.since,
          timeoutMs: catchingUp ? 0 : (this.o.timeoutMs ?? 10_000),
          filter: FILTER,
        });
        // The position moves on only once the events are queued: a failure re-reads the same batch.
        await this.o.handleEvents(eventsFromSync(res, this.o.botUserId, catchingUp));
        this.since = res.next_batch;
        failures = 0;
      } catch (error) {
        failures++;
        this.o.log.warn({ err: error, failures }, 'sync failed; retrying');
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)));
      }
    }
  }
}
