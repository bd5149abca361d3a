// Takes jobs from the queue and answers them, at most `concurrency` at once in this process.
// A few taker loops share one slot count; each job runs on its own (no await between jobs).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../observability/logger.ts';
import type { LeasedJob, WorkQueue } from '../state/types.ts';
import type { ActiveJobs } from './active-jobs.ts';
import type { JobOutcome, Responder } from './responder.ts';

export interface WorkerPoolOptions {
  queue: WorkQueue;
  responder: Responder;
  active: ActiveJobs;
  consumerId: string;
  concurrency: number;
  log: Logger;
  /** How long one `take` waits for a job. */
  blockMs?: number;
  /** Attempts at a job that fails unexpectedly (homeserver errors...) before giving up on it. */
  maxTries?: number;
  /** Tells the user when their message could not be answered at all. */
  onGiveUp?: (leased: LeasedJob, error: unknown) => Promise<void>;
}

export class WorkerPool {
  private running = false;
  private inFlight = 0;
  private readonly jobs = new Set<Promise<void>>();
  private readonly waiters: Array<() => void> = [];
  private takers: Promise<void>[] = [];

  constructor(private readonly o: WorkerPoolOptions) {}

  get busy(): number {
    return this.inFlight;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const takers = Math.max(1, Math.min(4, this.o.concurrency));
    this.takers = Array.from({ length: takers }, () => this.takeLoop());
  }

  /** Stops taking jobs; in-progress ones get `graceMs` to finish, then are handed back (or ended). */
  async stop(graceMs: number, handBack: boolean): Promise<void> {
    this.running = false;
    for (const wake of this.waiters.splice(0)) wake();
    await Promise.all(this.takers);
    if (this.jobs.size > 0) {
      const timeout = sleep(graceMs).then(() => 'timeout' as const);
      const done = Promise.all(this.jobs).then(() => 'done' as const);
      if ((await Promise.race([timeout, done])) === 'timeout') {
        this.o.log.info(
          { jobs: this.jobs.size, handBack },
          'grace period over: interrupting the replies in progress',
        );
        for (const job of this.o.active.all()) {
          job.shutdown = handBack ? 'release' : 'finish';
          job.abort.abort();
        }
        await Promise.all(this.jobs);
      }
    }
  }

  private async takeLoop(): Promise<void> {
    while (this.running) {
      if (this.inFlight >= this.o.concurrency) {
        await new Promise<void>((resolve) => this.waiters.push(resolve));
        continue;
      }
      let leased: LeasedJob | null;
      try {
        leased = await this.o.queue.take(this.o.consumerId, this.o.blockMs ?? 1000);
      } catch (error) {
        if (!this.running) break;
        this.o.log.error({ err: error }, 'taking a job failed');
        await sleep(1000);
        continue;
      }
      if (!leased) continue;
      if (!this.running) {
        await leased.release().catch(() => {});
        break;
      }
      this.inFlight++;
      const job = this.run(leased).finally(() => {
        this.inFlight--;
        this.jobs.delete(job);
        this.waiters.shift()?.();
      });
      this.jobs.add(job);
    }
  }

  private async run(leased: LeasedJob): Promise<void> {
    const active = this.o.active.add(leased);
    const maxTries = this.o.maxTries ?? 3;
    try {
      let outcome: JobOutcome = 'complete';
      for (let attempt = 1; ; attempt++) {
        try {
          outcome = await this.o.responder.handle(leased, active);
          break;
        } catch (error) {
          if (active.leaseLost) {
            outcome = 'lost';
            break;
          }
          this.o.log.warn(
            { err: error, roomId: leased.job.roomId, jobId: leased.job.id, attempt },
            'job failed',
          );
          if (attempt >= maxTries || !this.running) {
            await this.o.onGiveUp?.(leased, error).catch(() => {});
            outcome = 'complete';
            break;
          }
          await sleep(500 * attempt);
        }
      }
      if (outcome === 'complete') await leased.complete();
      else if (outcome === 'release') await leased.release();
    } catch (error) {
      this.o.log.error({ err: error, roomId: leased.job.roomId }, 'finishing a job failed');
    } finally {
      this.o.active.remove(active);
    }
  }
}
