// The edit budget is one for the whole deployment (EDIT_BUDGET_PER_SECOND: the events/s the homeserver
// is given), however many gateway processes share the queue. Each process takes a part in proportion
// to the replies it is streaming, so that streams get about the same rate wherever they run:
//   share = budget × (mine + 1) / (all processes' streams + number of processes)
// Each process counts one stream more than it has, so that an idle one keeps a small part for its next
// reply and the parts always add up to the budget. Every `refreshMs` a process reports its count (valid
// for a few refreshes: a process that dies stops counting) and reads the others'. Alone (the embedded
// backend, or one process on Redis) a process gets the whole budget.
import type { Logger } from '../observability/logger.ts';
import type { EditBudgetShares, OtherProcesses } from '../state/types.ts';

export function shareOf(budgetPerSecond: number, mine: number, others: OtherProcesses): number {
  return (budgetPerSecond * (mine + 1)) / (mine + others.streams + 1 + others.processes);
}

export interface EditBudgetShareOptions {
  shares: EditBudgetShares;
  processId: string;
  budgetPerSecond: number;
  /** Replies this process is streaming now. */
  streams: () => number;
  /** Given this process's share (events/s) each time it is worked out. */
  apply: (perSecond: number) => void;
  log: Logger;
  refreshMs?: number;
}

const SHARE_REFRESH_MS = 1000;
/** A report counts for this many refreshes: a process that misses them (crashed, stalled) stops counting. */
const REPORT_VALID_REFRESHES = 3;

export class EditBudgetShare {
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private failing = false;
  private stopped = false;
  private readonly refreshMs: number;

  constructor(private readonly o: EditBudgetShareOptions) {
    this.refreshMs = o.refreshMs ?? SHARE_REFRESH_MS;
  }

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  /** Reports this process's count and applies the new share (one at a time; exposed for tests). */
  refresh(): Promise<void> {
    this.refreshing ??= this.report().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Leaves the share (after the last reply of this process): the others take its part at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.refreshing;
    await this.o.shares
      .leave(this.o.processId)
      .catch((error) => this.o.log.debug({ err: error }, 'could not leave the edit budget share'));
  }

  private async report(): Promise<void> {
    if (this.stopped) return;
    const mine = this.o.streams();
    try {
      const others = await this.o.shares.report(
        this.o.processId,
        mine,
        this.refreshMs * REPORT_VALID_REFRESHES,
      );
      if (this.stopped) return;
      if (this.failing) this.o.log.info('edit budget share: the state backend answers again');
      this.failing = false;
      this.o.apply(shareOf(this.o.budgetPerSecond, mine, others));
    } catch (error) {
      // The last share stands (the other processes keep theirs too) until the state backend answers.
      if (!this.failing)
        this.o.log.warn({ err: error }, 'could not report to the edit budget share; the last share stands');
      this.failing = true;
    }
  }
}
