// The jobs this process is working on, and the one process-wide timer that keeps them alive:
// it renews their leases, refreshes typing notifications and polls for `!stop` requests from
// other processes. One timer whatever the number of jobs (no per-room timers).
import type { MatrixClientApi } from '../matrix/client-api.ts';
import type { Logger } from '../observability/logger.ts';
import type { LeasedJob, StopSignals } from '../state/types.ts';

export interface ActiveJob {
  readonly leased: LeasedJob;
  readonly roomId: string;
  readonly abort: AbortController;
  /** Whether this job generates a reply (only those are polled for stops and show typing). */
  generating: boolean;
  /** Whether it should show as typing (refreshed while true). */
  typing: boolean;
  /**
   * Whether the homeserver may be showing it as typing: a start was sent, or is on its way, and no stop
   * since. A stop is sent only then (a start shed under overload needs none).
   */
  typingShown: boolean;
  stopped: boolean;
  leaseLost: boolean;
  /** Set by shutdown before aborting: hand the job back, or finish it as interrupted (no other process). */
  shutdown?: 'release' | 'finish';
  lastRenew: number;
  lastTyping: number;
  lastStopPoll: number;
  renewing: boolean;
  polling: boolean;
}

export interface ActiveJobsOptions {
  api: MatrixClientApi;
  stops: StopSignals;
  botUserId: string;
  leaseMs: number;
  typingTimeoutMs: number;
  stopPollMs: number;
  log: Logger;
}

/**
 * How long after a typing notification it is refreshed: when the margin that remains before the homeserver
 * lets it lapse is enough for the request to get through a loaded event loop (5 s, or half the timeout
 * when that is shorter). With the default 30 s, a reply of up to 25 s costs a start and a stop only,
 * and one of 30 s one refresh: at half the timeout they took one and two more requests.
 */
export function typingRefreshAfterMs(timeoutMs: number): number {
  return timeoutMs - Math.min(timeoutMs / 2, TYPING_REFRESH_MARGIN_MS);
}

const TYPING_REFRESH_MARGIN_MS = 5_000;
/** A typing start shed under overload is tried again this soon (dropped again at once while it lasts). */
export const SHED_TYPING_RETRY_MS = 2_000;

export class ActiveJobs {
  private readonly byRoom = new Map<string, ActiveJob>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: ActiveJobsOptions) {
    const tickMs = Math.max(50, Math.min(1000, Math.floor(options.leaseMs / 4), options.stopPollMs));
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  get size(): number {
    return this.byRoom.size;
  }

  /** Jobs generating a reply now (the others are joins, commands and notices). */
  get generatingCount(): number {
    let n = 0;
    for (const job of this.byRoom.values()) if (job.generating) n++;
    return n;
  }

  all(): ActiveJob[] {
    return [...this.byRoom.values()];
  }

  add(leased: LeasedJob): ActiveJob {
    const now = Date.now();
    const job: ActiveJob = {
      leased,
      roomId: leased.job.roomId,
      abort: new AbortController(),
      generating: false,
      typing: false,
      typingShown: false,
      stopped: false,
      leaseLost: false,
      lastRenew: now,
      lastTyping: 0,
      lastStopPoll: now,
      renewing: false,
      polling: false,
    };
    this.byRoom.set(job.roomId, job);
    return job;
  }

  remove(job: ActiveJob): void {
    if (this.byRoom.get(job.roomId) === job) this.byRoom.delete(job.roomId);
  }

  async setTyping(job: ActiveJob, typing: boolean): Promise<void> {
    job.typing = typing;
    job.lastTyping = Date.now();
    if (!typing && !job.typingShown) return;
    const wasShown = job.typingShown;
    job.typingShown = typing;
    try {
      const delivered = await this.options.api.setTyping(
        job.roomId,
        this.options.botUserId,
        typing,
        this.options.typingTimeoutMs,
      );
      // A start shed (or replaced by a stop) before any got through: nothing shows, nothing to stop.
      if (typing && !delivered && !wasShown && job.typing) job.typingShown = false;
    } catch (error) {
      this.options.log.debug({ err: error, roomId: job.roomId }, 'typing notification failed');
    }
  }

  /** A `!stop` was received by this process: check at once instead of at the next poll. */
  pollStopNow(roomId: string): void {
    const job = this.byRoom.get(roomId);
    if (job?.generating) void this.pollStop(job);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = Date.now();
    // Renewed when a quarter of the lease has passed: three quarters of it (22 s by default) remain
    // for the renewal to get through a loaded event loop and Redis before another process may take over.
    const renewEvery = this.options.leaseMs / 4;
    const typingEvery = typingRefreshAfterMs(this.options.typingTimeoutMs);
    const stopPolls: ActiveJob[] = [];
    for (const job of this.byRoom.values()) {
      if (!job.renewing && now - job.lastRenew >= renewEvery) void this.renew(job);
      if (job.typing && now - job.lastTyping >= (job.typingShown ? typingEvery : SHED_TYPING_RETRY_MS))
        void this.setTyping(job, true);
      if (job.generating && !job.polling && !job.stopped && now - job.lastStopPoll >= this.options.stopPollMs)
        stopPolls.push(job);
    }
    if (stopPolls.length > 0) void this.pollStops(stopPolls);
  }

  private async renew(job: ActiveJob): Promise<void> {
    job.renewing = true;
    try {
      const ok = await job.leased.renew();
      job.lastRenew = Date.now();
      if (!ok) {
        job.leaseLost = true;
        this.options.log.warn(
          { roomId: job.roomId, jobId: job.leased.job.id },
          'lease lost: another process took the job over',
        );
        job.abort.abort();
      }
    } catch (error) {
      this.options.log.warn({ err: error, roomId: job.roomId }, 'lease renewal failed');
    } finally {
      job.renewing = false;
    }
  }

  private pollStop(job: ActiveJob): Promise<void> {
    return job.polling || job.stopped ? Promise.resolve() : this.pollStops([job]);
  }

  /** Whether a `!stop` reached another process for these replies: one state round trip for all. */
  private async pollStops(jobs: ActiveJob[]): Promise<void> {
    const now = Date.now();
    for (const job of jobs) {
      job.polling = true;
      job.lastStopPoll = now;
    }
    try {
      const stopped = new Set(
        await this.options.stops.consumeStops(
          jobs.map((job) => ({ roomId: job.roomId, since: job.leased.job.enqueuedAt - STOP_CLOCK_SLACK_MS })),
        ),
      );
      for (const job of jobs) {
        if (!stopped.has(job.roomId)) continue;
        job.stopped = true;
        job.abort.abort();
      }
    } catch (error) {
      this.options.log.warn({ err: error, rooms: jobs.length }, 'stop poll failed');
    } finally {
      for (const job of jobs) job.polling = false;
    }
  }
}

/** Stops are compared with enqueue times that may come from another process's clock. */
export const STOP_CLOCK_SLACK_MS = 2000;
