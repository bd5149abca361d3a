// One reply as it streams: the first text is posted at once, later text goes out as `m.replace` edits
// when the global edit scheduler grants a slot, and `finish` always sends the final edit.
// The reply's event id is saved in the store as soon as it exists, so a process taking the job over
// continues editing the same message.

import type { MatrixClientApi } from '../matrix/client-api.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ConversationStore } from '../state/types.ts';
import { editContent, type ReplyTarget, replyContent, type StreamState } from './content.ts';
import type { EditScheduler, EditTarget } from './edit-scheduler.ts';
import { editTxnId, newRunId, replyTxnId } from './txn-ids.ts';

export interface ReplyStreamDeps {
  api: MatrixClientApi;
  scheduler: EditScheduler;
  store: ConversationStore;
  metrics: Metrics;
  log: Logger;
}

export class ReplyStream implements EditTarget {
  lastEditAt = 0;
  private text = '';
  private shownText = '';
  private sending: Promise<void> | null = null;
  private seq = 0;
  private closed = false;
  private firstTextAt = 0;
  private sendError: unknown;
  private readonly runId: string;

  constructor(
    private readonly deps: ReplyStreamDeps,
    private readonly roomId: string,
    private readonly target: ReplyTarget,
    attempt: number,
    /** Set when taking over a reply another process had already posted. */
    private replyEventId?: string,
  ) {
    this.runId = newRunId(attempt);
  }

  get busy(): boolean {
    return this.sending !== null;
  }

  get currentText(): string {
    return this.text;
  }

  get eventId(): string | undefined {
    return this.replyEventId;
  }

  append(delta: string): void {
    if (this.closed || !delta) return;
    this.text += delta;
    if (this.replyEventId) {
      this.deps.scheduler.request(this);
    } else if (!this.sending && this.text.trim()) {
      this.firstTextAt = performance.now();
      this.run(() => this.post('streaming'));
    }
  }

  grant(): void {
    if (this.closed || !this.replyEventId || this.text === this.shownText) return;
    this.run(() => this.edit('streaming', undefined, 'stream'));
  }

  /** Sends the final state (always: an edit of the posted reply, or the reply itself when none was posted). */
  async finish(state: Exclude<StreamState, 'streaming'>, notice?: string): Promise<void> {
    this.closed = true;
    this.deps.scheduler.cancel(this);
    while (this.sending) await this.sending;
    this.deps.scheduler.chargeMandatory();
    if (this.replyEventId) await this.edit(state, notice, 'final');
    else await this.post(state, notice);
    this.deps.metrics.repliesFinished.inc({ state });
    await this.deps.store.setReply(this.target.sourceEventId, {
      replyEventId: this.replyEventId,
      text: this.text,
      state,
      updatedAt: Date.now(),
    });
  }

  /** The job was lost to another process (or handed back): send nothing more. */
  async abandon(): Promise<void> {
    this.closed = true;
    this.deps.scheduler.cancel(this);
    while (this.sending) await this.sending;
  }

  private run(send: () => Promise<void>): void {
    const p = send()
      .catch((error) => {
        this.sendError = error;
        this.deps.log.warn({ err: error, roomId: this.roomId }, 'sending a streamed update failed');
      })
      .finally(() => {
        this.sending = null;
        if (!this.closed && this.replyEventId && this.text !== this.shownText)
          this.deps.scheduler.request(this);
      });
    this.sending = p;
  }

  private async post(state: StreamState, notice?: string): Promise<void> {
    if (state === 'streaming') this.deps.scheduler.chargeMandatory();
    const text = this.text;
    const eventId = await this.deps.api.sendEvent(
      this.roomId,
      'm.room.message',
      replyTxnId(this.target.sourceEventId),
      replyContent(this.target, text, state, notice),
    );
    this.replyEventId = eventId;
    this.shownText = text;
    this.lastEditAt = Date.now();
    if (this.firstTextAt) {
      this.deps.metrics.gatewayAddedLatency.observe((performance.now() - this.firstTextAt) / 1000);
    }
    if (state === 'streaming') {
      await this.deps.store.setReply(this.target.sourceEventId, {
        replyEventId: eventId,
        text,
        state,
        updatedAt: Date.now(),
      });
    }
  }

  private async edit(
    state: StreamState,
    notice: string | undefined,
    kind: 'stream' | 'final',
  ): Promise<void> {
    const text = this.text;
    this.seq += 1;
    await this.deps.api.sendEvent(
      this.roomId,
      'm.room.message',
      editTxnId(this.target.sourceEventId, this.runId, this.seq),
      editContent(this.replyEventId!, text, state, notice),
    );
    this.shownText = text;
    this.lastEditAt = Date.now();
    this.deps.metrics.editsSent.inc({ kind });
  }

  /** The last failure of a streamed update, if any (the final send reports its own). */
  get lastSendError(): unknown {
    return this.sendError;
  }
}
