/*
 * Redis work queue: durable, per-room FIFO, one job in progress per room, any number of processes.
 *
 * Keys (P = keyPrefix):
 *   P q:room:<roomId>  LIST    the room's job ids in enqueue order; the head is the job in progress (if any)
 *   P q:jobs           HASH    job id -> job JSON
 *   P q:attempts       HASH    job id -> deliveries so far
 *   P q:owner          HASH    room id -> lease token of the consumer holding the room's head job
 *   P q:sched          ZSET    room id -> epoch ms when the room can next be taken. A room is in it
 *                              iff its list is non-empty: ready rooms score the time they became
 *                              ready (so rooms are served first come, first served, released ones
 *                              score 0), rooms in progress score their lease deadline. So an expired
 *                              lease simply becomes due, and the next take re-delivers the SAME job
 *                              (attempt + 1) and voids the old token: renew/complete then fail for
 *                              the old holder. No sweeper is needed.
 *   P q:wake           LIST    wake-up tokens, one pushed whenever a room becomes ready (capped)
 *   P q:seen:<jobId>   STRING  dedupe marker with a TTL (enqueue is idempotent by job id)
 *
 * Every state change is one Lua script (queue-scripts.ts), so a process killed at any point leaves
 * consistent state. `take` runs the TAKE script; when nothing is due it waits on the process's
 * single wake listener: one connection blocked in BLMPOP on `q:wake` (bounded at 1 s), which hands
 * each token popped to one local waiter. When the earliest known lease deadline passes, or after a
 * second without tokens, it wakes one waiter to re-run TAKE: that is the takeover sweep (expired
 * leases are simply due rooms), at most about one script per second per idle process. A take that
 * leaves more rooms ready leaves a token for the next waiter. So thousands of waiting consumers in
 * one process cost one blocked connection and no polling.
 *
 * Durability is Redis's: `enqueue` resolves after Redis applied the script; run Redis with AOF
 * (appendfsync everysec) to survive a Redis restart.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Job, LeasedJob, WorkQueue } from '../types.ts';
import { COMPLETE, ENQUEUE, RELEASE, RENEW, TAKE } from './queue-scripts.ts';

/** More wake tokens than this are never useful (each wakes one waiter; takes chain the rest). */
const WAKE_CAP = 4096;
/** Bound of one BLMPOP, so the listener notices shutdown and lease deadlines. */
const LISTEN_MAX_MS = 1000;

type QueueCommands = {
  clawEnqueue(...args: (string | number)[]): Promise<number>;
  clawTake(...args: (string | number)[]): Promise<[number, string | number, number | string, string?]>;
  clawRenew(...args: (string | number)[]): Promise<number>;
  clawComplete(...args: (string | number)[]): Promise<number>;
  clawRelease(...args: (string | number)[]): Promise<number>;
};

export function defineQueueCommands(redis: Redis): void {
  redis.defineCommand('clawEnqueue', { numberOfKeys: 5, lua: ENQUEUE });
  redis.defineCommand('clawTake', { numberOfKeys: 5, lua: TAKE });
  redis.defineCommand('clawRenew', { numberOfKeys: 2, lua: RENEW });
  redis.defineCommand('clawComplete', { numberOfKeys: 6, lua: COMPLETE });
  redis.defineCommand('clawRelease', { numberOfKeys: 3, lua: RELEASE });
}

export interface RedisWorkQueueOptions {
  keyPrefix: string;
  leaseMs: number;
  dedupeTtlSeconds: number;
}

interface Waiter {
  wake(): void;
}

export class RedisWorkQueue implements WorkQueue {
  private readonly redis: Redis & QueueCommands;
  /** A dedicated connection: a blocked BLMPOP would hold up every other command on a shared one. */
  private readonly blocker: Redis;
  /**
   * Lease renewals on a connection of their own, so that under load they are not queued behind the
   * thousands of takes, store reads and writes on the main one (a late renewal loses the job).
   */
  private readonly renewer: Redis & QueueCommands;
  private readonly keys: {
    sched: string;
    jobs: string;
    attempts: string;
    owner: string;
    wake: string;
    roomPrefix: string;
    seenPrefix: string;
  };
  private waiters: Waiter[] = [];
  private listening = false;
  /** Local time when the earliest lease seen may expire (a takeover to check). */
  private nextDueAt = Number.POSITIVE_INFINITY;
  private lastSweepAt = Date.now();
  private closed = false;

  constructor(
    redis: Redis,
    private readonly options: RedisWorkQueueOptions,
  ) {
    defineQueueCommands(redis);
    this.redis = redis as Redis & QueueCommands;
    this.blocker = redis.duplicate();
    this.blocker.on('error', () => {}); // reconnects by itself; errors surface through the main connection
    const renewer = redis.duplicate();
    renewer.on('error', () => {});
    defineQueueCommands(renewer);
    this.renewer = renewer as Redis & QueueCommands;
    const p = `${options.keyPrefix}q:`;
    this.keys = {
      sched: `${p}sched`,
      jobs: `${p}jobs`,
      attempts: `${p}attempts`,
      owner: `${p}owner`,
      wake: `${p}wake`,
      roomPrefix: `${p}room:`,
      seenPrefix: `${p}seen:`,
    };
  }

  async enqueue(job: Job): Promise<boolean> {
    if (this.closed) throw new Error('work queue: enqueue after close');
    const k = this.keys;
    const added = await this.redis.clawEnqueue(
      k.seenPrefix + job.id,
      k.jobs,
      k.roomPrefix + job.roomId,
      k.sched,
      k.wake,
      job.id,
      JSON.stringify(job),
      job.roomId,
      this.options.dedupeTtlSeconds,
      WAKE_CAP,
    );
    return added === 1;
  }

  async take(consumerId: string, blockMs: number): Promise<LeasedJob | null> {
    const deadline = Date.now() + Math.max(0, blockMs);
    const k = this.keys;
    for (;;) {
      if (this.closed) return null;
      const token = `${consumerId}:${randomBytes(6).toString('base64url')}`;
      let result: Awaited<ReturnType<QueueCommands['clawTake']>>;
      try {
        result = await this.redis.clawTake(
          k.sched,
          k.jobs,
          k.attempts,
          k.owner,
          k.wake,
          k.roomPrefix,
          this.options.leaseMs,
          token,
        );
      } catch (err) {
        if (this.closed) return null;
        throw err;
      }
      if (result[0] === 1) {
        const job = JSON.parse(String(result[1])) as Job;
        return this.leased(job, String(result[3]), Number(result[2]), token);
      }
      const redisNow = Number(result[1]);
      const nextDue = Number(result[2]);
      if (nextDue >= 0) this.noteDue(Date.now() + Math.max(0, nextDue - redisNow));
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      if (!(await this.waitForWake(remaining))) return null;
    }
  }

  async depth(): Promise<number> {
    return this.redis.hlen(this.keys.jobs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.wake();
    this.blocker.disconnect();
    await this.renewer.quit().catch(() => this.renewer.disconnect());
  }

  private leased(job: Job, roomId: string, attempt: number, token: string): LeasedJob {
    const k = this.keys;
    return {
      job,
      attempt,
      renew: async () =>
        (await this.renewer.clawRenew(k.owner, k.sched, roomId, token, this.options.leaseMs)) === 1,
      complete: async () => {
        await this.redis.clawComplete(
          k.owner,
          k.sched,
          k.jobs,
          k.attempts,
          k.wake,
          k.roomPrefix + roomId,
          roomId,
          token,
          job.id,
          WAKE_CAP,
        );
      },
      release: async () => {
        await this.redis.clawRelease(k.owner, k.sched, k.wake, roomId, token, WAKE_CAP);
      },
    };
  }

  private noteDue(at: number): void {
    if (at < this.nextDueAt) this.nextDueAt = at;
  }

  /** Resolves true when woken (a token or a due lease), false when `ms` passed first. */
  private waitForWake(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        wake: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, ms);
      this.waiters.push(waiter);
      void this.listen();
    });
  }

  private async listen(): Promise<void> {
    if (this.listening) return;
    this.listening = true;
    try {
      while (!this.closed && this.waiters.length > 0) {
        const untilDue = this.nextDueAt - Date.now();
        const blockMs = Math.max(10, Math.min(LISTEN_MAX_MS, untilDue));
        let popped = 0;
        try {
          const reply = (await this.blocker.call(
            'BLMPOP',
            (blockMs / 1000).toFixed(3),
            1,
            this.keys.wake,
            'LEFT',
            'COUNT',
            Math.max(1, this.waiters.length),
          )) as [string, string[]] | null;
          popped = reply ? reply[1].length : 0;
        } catch {
          if (this.closed) return;
          // Connection trouble: ioredis reconnects; waiters time out on their own meanwhile.
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        let toWake = popped;
        const now = Date.now();
        if (toWake === 0 && (now >= this.nextDueAt || now - this.lastSweepAt >= LISTEN_MAX_MS)) {
          // A lease may have expired (one we saw, or one taken since by another process that
          // may have died): one waiter re-runs TAKE, which reports the next deadline.
          this.nextDueAt = Number.POSITIVE_INFINITY;
          this.lastSweepAt = now;
          toWake = 1;
        }
        let unused = 0;
        for (let i = 0; i < toWake; i++) {
          const waiter = this.waiters.shift();
          if (waiter) waiter.wake();
          else if (i < popped) unused++;
        }
        // Tokens popped for waiters that left meanwhile belong to other processes' waiters.
        if (unused > 0 && !this.closed) {
          await this.redis.rpush(this.keys.wake, ...Array.from({ length: unused }, () => '1'));
        }
      }
    } finally {
      this.listening = false;
      if (!this.closed && this.waiters.length > 0) void this.listen();
    }
  }
}
