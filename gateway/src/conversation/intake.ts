// Intake: turns the events the homeserver delivers (application-service transactions, or /sync in sync
// mode) into durable jobs. It decides quickly what needs an answer, applies the per-user rate limit,
// forwards `!stop` at once (it must not wait behind the reply it stops), and enqueues the rest;
// the workers do the slow part. Resolves only once every job is durably enqueued.
import type { MatrixClientApi } from '../matrix/client-api.ts';
import type { MatrixEvent } from '../matrix/events.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Job, StateBackend } from '../state/types.ts';
import type { ActiveJobs } from './active-jobs.ts';
import { classifyMessage } from './message-kind.ts';
import type { RateLimitGuard } from './rate-limit-guard.ts';
import type { Addressing, RoomMembers } from './room-members.ts';

export interface IntakeOptions {
  state: StateBackend;
  api: MatrixClientApi;
  members: RoomMembers;
  addressing: Addressing;
  rateLimit: RateLimitGuard;
  active: ActiveJobs;
  metrics: Metrics;
  log: Logger;
  botUserId: string;
  maxMessageChars: number;
  allowedServers: string[];
  allowedUsersRegex?: string;
}

export type AllowPolicy = (userId: string) => boolean;

export function allowPolicy(allowedServers: string[], allowedUsersRegex?: string): AllowPolicy {
  if (allowedUsersRegex) {
    const regex = new RegExp(allowedUsersRegex);
    return (userId) => regex.test(userId);
  }
  if (allowedServers.includes('*')) return () => true;
  const servers = new Set(allowedServers);
  return (userId) => servers.has(userId.slice(userId.indexOf(':') + 1));
}

export class Intake {
  private readonly allowed: AllowPolicy;

  constructor(private readonly o: IntakeOptions) {
    this.allowed = allowPolicy(o.allowedServers, o.allowedUsersRegex);
  }

  /** Handles a batch of events: rooms in parallel, each room's events in order. */
  async handleEvents(events: MatrixEvent[]): Promise<void> {
    const byRoom = new Map<string, MatrixEvent[]>();
    for (const event of events) {
      this.o.metrics.eventsReceived.inc();
      const list = byRoom.get(event.room_id);
      if (list) list.push(event);
      else byRoom.set(event.room_id, [event]);
    }
    await Promise.all(
      [...byRoom.values()].map(async (roomEvents) => {
        for (const event of roomEvents) await this.handleEvent(event);
      }),
    );
  }

  private async handleEvent(event: MatrixEvent): Promise<void> {
    const { botUserId } = this.o;
    if (event.type === 'm.room.member') this.o.members.invalidate(event.room_id);
    if (event.sender === botUserId) return;

    if (event.type === 'm.room.member') {
      if (event.state_key === botUserId && event.content.membership === 'invite') {
        if (this.allowed(event.sender)) await this.enqueue(event, 'reply');
        else this.o.log.info({ roomId: event.room_id }, 'ignored an invite from a user who is not allowed');
      }
      return;
    }
    if (event.type !== 'm.room.message' && event.type !== 'm.sticker' && event.type !== 'm.room.encrypted')
      return;
    if (!this.allowed(event.sender)) return;

    const kind = classifyMessage(event, this.o.maxMessageChars);
    if (kind.kind === 'ignore') return;
    // In a group only what is meant for the bot is answered. When that takes a request (room size not
    // cached yet, a reply to some message), the transaction does not wait: the job is queued and the
    // worker checks, and applies the rate limit then (group chatter costs no token).
    const addressed = kind.kind === 'command' ? 'yes' : this.o.addressing.quick(event);
    if (addressed === 'no') return;

    if (kind.kind === 'command' && kind.command.name === 'stop') {
      const enqueuedAt = Date.now();
      await this.o.state.stops.requestStop(event.room_id);
      this.o.active.pollStopNow(event.room_id);
      await this.enqueue(event, 'reply', { enqueuedAt });
      return;
    }
    const retry = kind.kind === 'command' && kind.command.name === 'retry';
    const callsLlm = kind.kind === 'prompt' || retry;
    if (callsLlm && addressed === 'yes' && !(await this.o.rateLimit.admit(event))) return;
    await this.enqueue(event, retry ? 'retry' : 'reply', {
      rateLimitAtWorker: callsLlm && addressed === 'unknown',
    });
  }

  private async enqueue(
    event: MatrixEvent,
    kind: Job['kind'],
    { enqueuedAt = Date.now(), rateLimitAtWorker = false } = {},
  ): Promise<void> {
    const fresh = await this.o.state.queue.enqueue({
      id: event.event_id,
      roomId: event.room_id,
      sender: event.sender,
      kind,
      event: event as Record<string, unknown>,
      enqueuedAt,
      ...(rateLimitAtWorker ? { rateLimitAtWorker: true as const } : {}),
    });
    if (fresh) this.o.metrics.jobsEnqueued.inc();
  }
}
