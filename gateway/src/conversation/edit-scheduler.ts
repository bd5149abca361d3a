// The global edit budget. Every stored edit costs the homeserver one event, so the edits of all the
// replies streaming in this process share one token bucket of `budgetPerSecond` events/s, handed out
// in turn (first come, first served; a reply that was just edited goes to the back), and each reply is
// edited at most once per `intervalMs`. First posts and final edits are never held back, but they are
// charged to the same bucket, so under heavy load the intermediate edits thin out first.
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
  private readonly waiting = new Set<EditTarget>();
  private tokens: number;
  private lastRefill: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly capacity: number;
  private readonly maxDebt: number;
  private readonly tickMs: number;
  private readonly now: () => number;

  constructor(private readonly options: EditSchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.capacity = Math.max(1, options.budgetPerSecond);
    this.maxDebt = -10 * this.capacity;
    this.tokens = this.capacity;
    this.lastRefill = this.now();
    this.tickMs = options.tickMs ?? Math.max(10, Math.min(100, Math.floor(1000 / options.budgetPerSecond)));
  }

  /** The reply has text not shown yet: it gets a slot when its turn, its interval and the budget allow. */
  request(target: EditTarget): void {
    if (this.waiting.has(target)) return;
    this.waiting.add(target);
    this.options.onWaitingChange?.(this.waiting.size);
    this.ensureTimer();
  }

  /** The reply finished (or died): forget it. */
  cancel(target: EditTarget): void {
    if (this.waiting.delete(target)) this.options.onWaitingChange?.(this.waiting.size);
  }

  /** A send that is not held back (first post, final edit) still uses up budget. */
  chargeMandatory(): void {
    this.refill();
    this.tokens = Math.max(this.maxDebt, this.tokens - 1);
  }

  get waitingCount(): number {
    return this.waiting.size;
  }

  /** Hands out the slots due now; exposed for tests with a manual clock. */
  tick(): void {
    this.refill();
    const now = this.now();
    for (const target of this.waiting) {
      if (this.tokens < 1) break;
      if (target.busy || now - target.lastEditAt < this.options.intervalMs) continue;
      this.waiting.delete(target);
      this.tokens -= 1;
      target.grant();
    }
    this.options.onWaitingChange?.(this.waiting.size);
    if (this.waiting.size === 0) this.stopTimer();
  }

  close(): void {
    this.stopTimer();
    this.waiting.clear();
  }

  private refill(): void {
    const now = this.now();
    const elapsed = now - this.lastRefill;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + (elapsed / 1000) * this.options.budgetPerSecond);
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
