// Intake: turns the events the homeserver delivers (application-service transactions, or /sync in sync
// mode) into durable jobs. It decides quickly what needs an answer, applies the per-user rate limit,
// forwards `!stop` at once (it must not wait behind the reply it stops), and enqueues the rest;
// the workers do the slow part. Resolves only once every job is durably enqueued.
import type { MatrixClientApi } from '../matrix/client-api.ts';
import { type MatrixEvent, threadRoot } from '../matrix/events.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Job, StateBackend } from '../state/types.ts';
import type { ActiveJobs } from './active-jobs.ts';
import { noticeContent, type ReplyTarget } from './content.ts';
import { classifyMessage } from './message-kind.ts';
import type { Addressing, RoomMembers } from './room-members.ts';
import { noticeTxnId } from './txn-ids.ts';

export interface IntakeOptions {
  state: StateBackend;
  api: MatrixClientApi;
  members: RoomMembers;
  addressing: Addressing;
  active: ActiveJobs;
  metrics: Metrics;
  log: Logger;
  botUserId: string;
  botLocalpart: string;
  maxMessageChars: number;
  allowedServers: string[];
  allowedUsersRegex?: string;
}

const REFUSAL_WINDOW_MS = 10_000;

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
  private readonly lastRefusal = new Map<string, number>();

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
    // cached yet), the transaction does not wait: the job is queued and the worker checks.
    if (kind.kind !== 'command' && this.o.addressing.quick(event) === 'no') return;

    if (kind.kind === 'command' && kind.command.name === 'stop') {
      const enqueuedAt = Date.now();
      await this.o.state.stops.requestStop(event.room_id);
      this.o.active.pollStopNow(event.room_id);
      await this.enqueue(event, 'reply', enqueuedAt);
      return;
    }
    const callsLlm = kind.kind === 'prompt' || (kind.kind === 'command' && kind.command.name === 'retry');
    if (callsLlm) {
      const verdict = await this.o.state.rateLimiter.take(event.sender);
      if (!verdict.allowed) {
        this.o.metrics.rateLimitRejections.inc();
        this.politeRefusal(event, verdict.retryAfterMs);
        return;
      }
    }
    await this.enqueue(event, kind.kind === 'command' && kind.command.name === 'retry' ? 'retry' : 'reply');
  }

  private async enqueue(event: MatrixEvent, kind: Job['kind'], enqueuedAt = Date.now()): Promise<void> {
    const fresh = await this.o.state.queue.enqueue({
      id: event.event_id,
      roomId: event.room_id,
      sender: event.sender,
      kind,
      event: event as Record<string, unknown>,
      enqueuedAt,
    });
    if (fresh) this.o.metrics.jobsEnqueued.inc();
  }

  private politeRefusal(event: MatrixEvent, retryAfterMs: number): void {
    // One notice per user and window, so that a flood of messages is not answered by a flood of notices.
    const now = Date.now();
    const last = this.lastRefusal.get(event.sender);
    if (last !== undefined && now - last < REFUSAL_WINDOW_MS) return;
    this.lastRefusal.delete(event.sender);
    this.lastRefusal.set(event.sender, now);
    if (this.lastRefusal.size > 10_000)
      this.lastRefusal.delete(this.lastRefusal.keys().next().value as string);
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    const target: ReplyTarget = { sourceEventId: event.event_id, threadRoot: threadRoot(event) };
    const text = `You are sending messages faster than I can answer. Please wait about ${seconds} second${seconds === 1 ? '' : 's'} and send it again.`;
    this.o.api
      .sendEvent(
        event.room_id,
        'm.room.message',
        noticeTxnId(event.event_id, 'rate-limit'),
        noticeContent(target, text),
      )
      .catch((error) =>
        this.o.log.warn({ err: error, roomId: event.room_id }, 'could not send the rate-limit notice'),
      );
  }
}
