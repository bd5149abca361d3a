// The per-user rate limit as users meet it: a message over the limit is not answered, and its sender is
// told to wait (one notice per user and window, so that a flood of messages is not answered by a flood
// of notices). Applied at intake when it is known there that the message is for the bot, else by the
// worker once it has checked (group chatter never costs its sender a token nor earns a notice).
import type { MatrixClientApi } from '../matrix/client-api.ts';
import { type MatrixEvent, threadRoot } from '../matrix/events.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { RateLimiter } from '../state/types.ts';
import { noticeContent } from './content.ts';
import { noticeTxnId } from './txn-ids.ts';

const REFUSAL_WINDOW_MS = 10_000;
const MAX_REMEMBERED_SENDERS = 10_000;

export class RateLimitGuard {
  private readonly lastRefusal = new Map<string, number>();

  constructor(
    private readonly o: { limiter: RateLimiter; api: MatrixClientApi; metrics: Metrics; log: Logger },
  ) {}

  /** Takes a token for the sender; false (and the sender is told, at most once a window) when over the limit. */
  async admit(event: MatrixEvent): Promise<boolean> {
    const verdict = await this.o.limiter.take(event.sender);
    if (verdict.allowed) return true;
    this.o.metrics.rateLimitRejections.inc();
    this.refuse(event, verdict.retryAfterMs);
    return false;
  }

  private refuse(event: MatrixEvent, retryAfterMs: number): void {
    const now = Date.now();
    const last = this.lastRefusal.get(event.sender);
    if (last !== undefined && now - last < REFUSAL_WINDOW_MS) return;
    this.lastRefusal.delete(event.sender);
    this.lastRefusal.set(event.sender, now);
    if (this.lastRefusal.size > MAX_REMEMBERED_SENDERS)
      this.lastRefusal.delete(this.lastRefusal.keys().next().value as string);
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    const text = `You are sending messages faster than I can answer. Please wait about ${seconds} second${seconds === 1 ? '' : 's'} and send it again.`;
    this.o.api
      .sendEvent(
        event.room_id,
        'm.room.message',
        noticeTxnId(event.event_id, 'rate-limit'),
        noticeContent({ sourceEventId: event.event_id, threadRoot: threadRoot(event) }, text),
      )
      .catch((error) =>
        this.o.log.warn({ err: error, roomId: event.room_id }, 'could not send the rate-limit notice'),
      );
  }
}
