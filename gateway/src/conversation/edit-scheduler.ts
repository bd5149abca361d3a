// The edit budget, this process's part. Every stored event costs the homeserver, so the sends of all
// the replies streaming in this process share one token bucket of `budgetPerSecond` events/s (burst:
// one second's worth). With several processes, `budgetPerSecond` is this process's share of the
// deployment's budget, set again as the share changes (edit-budget-share.ts).
// - Intermediate edits are sent only within the budget: a reply waits for a token, its turn and its own
//   `intervalMs`. Turns go least recently served first: a reply enters the queue when it has new text
//   and goes back to the end after each edit, so N streams wanting edits get about budget/N each.
// - First posts and final edits are never held back (they are what users wait for: the first words
//   and the finished reply) but are charged to the same bucket, so intermediate edits give way to
//   them. The debt they may run up is bounded to one second of budget: after any burst of starts or
//   ends, intermediate edits resume within about two seconds (they are not starved for long).
// So the homeserver receives, over any period of T seconds: one first post and one final edit per
// reply (these the budget cannot defer), plus intermediate edits only where the budget has room:
// intermediate ≤ budget·T + budget − (first posts + final edits charged in the period).
// One timer for the whole process, running only while some reply waits for a slot.

export interface EditTarget {
  /** When this reply was last posted or edited (epoch ms). */
  lastEditAt: number;
  /** True while a send of this reply is in flight (it is not granted another one meanwhile). */
  readonly busy: boolean;
  /** Called when the reply may send one edit now. */
  grant(): void;
}

export interface EditSchedulerOptions {
  budgetPerSecond: number;
  intervalMs: number;
  tickMs?: number;
  now?: () => number;
  onWaitingChange?: (waiting: number) => void;
}

export class EditScheduler {
  /** Replies waiting for an intermediate edit, in turn order (insertion order of the Set). */
  private readonly waiting = new Set<EditTarget>();
  private tokens: number;
  private lastRefill: number;
  private timer: NodeJS.Timeout | undefined;
  private perSecond = 0;
  private capacity = 1;
  private maxDebt = -1;
  private readonly tickMs: number;
  private readonly now: () => number;
  private lastReportedWaiting = -1;

  constructor(private readonly options: EditSchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.setRate(options.budgetPerSecond);
    this.tokens = this.capacity;
    this.lastRefill = this.now();
    this.tickMs = options.tickMs ?? Math.max(10, Math.min(100, Math.floor(1000 / options.budgetPerSecond)));
  }

  /** Events/s from now on (this process's new share); tokens saved beyond one second of it are dropped. */
  setBudgetPerSecond(perSecond: number): void {
    if (!(perSecond >= 0)) throw new RangeError(`edit budget must be a number >= 0, got ${perSecond}`);
    this.refill();
    this.setRate(perSecond);
    this.tokens = Math.max(this.maxDebt, Math.min(this.capacity, this.tokens));
  }

  /** The bucket saves up at most one second of budget, and mandatory sends owe at most as much. */
  private setRate(perSecond: number): void {
    this.perSecond = perSecond;
    this.capacity = Math.max(1, perSecond);
    this.maxDebt = -this.capacity;
  }

  get budgetPerSecond(): number {
    return this.perSecond;
  }

  /** The reply has text not shown yet: it gets a slot when its turn, its interval and the budget allow. */
  request(target: EditTarget): void {
    if (this.waiting.has(target)) return;
    this.waiting.add(target);
    this.reportWaiting();
    this.ensureTimer();
  }

  /** The reply finished (or died): forget it. */
  cancel(target: EditTarget): void {
    if (this.waiting.delete(target)) this.reportWaiting();
  }

  /**
   * A send that is not held back (first post, final edit) still uses up budget, down to a debt of one
   * second of budget at most.
   */
  chargeMandatory(): void {
    this.refill();
    this.tokens = Math.max(this.maxDebt, this.tokens - 1);
  }

  get waitingCount(): number {
    return this.waiting.size;
  }

  /** Tokens left (negative: debt run up by first posts and final edits); for tests. */
  get available(): number {
    this.refill();
    return this.tokens;
  }

  /** Hands out the slots due now; exposed for tests with a manual clock. */
  tick(): void {
    this.refill();
    if (this.tokens >= 1) {
      const now = this.now();
      for (const target of this.waiting) {
        if (this.tokens < 1) break;
        if (target.busy || now - target.lastEditAt < this.options.intervalMs) continue;
        this.waiting.delete(target);
        this.tokens -= 1;
        target.grant();
      }
    }
    this.reportWaiting();
    if (this.waiting.size === 0) this.stopTimer();
  }

  close(): void {
    this.stopTimer();
    this.waiting.clear();
  }

  private reportWaiting(): void {
    const n = this.waiting.size;
    if (n === this.lastReportedWaiting) return;
    this.lastReportedWaiting = n;
    this.options.onWaitingChange?.(n);
  }

  private refill(): void {
    const now = this.now();
    const elapsed = now - this.lastRefill;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + (elapsed / 1000) * this.perSecond);
      this.lastRefill = now;
    }
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
