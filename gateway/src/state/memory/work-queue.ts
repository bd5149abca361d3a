// In-process work queue: per-room FIFO, one job in progress per room, rooms served in the order
// they became ready. Leases expire through timers; an expired room goes to the front of the ready
// order and is re-delivered (same job, attempt + 1) to the next taker, unless its holder renews
// first. With a journal (queue-journal.ts) it survives restarts and crashes: what was enqueued and
// not completed is delivered again, a job that was in progress with its next attempt number.
import type { Job, LeasedJob, WorkQueue } from '../types.ts';
import {
  type JournalRecord,
  QueueJournal,
  type QueueJournalOptions,
  type ReplayedQueue,
} from './queue-journal.ts';
import { TtlLru } from './ttl-lru.ts';

interface Lease {
  token: number;
  consumerId: string;
  timer: NodeJS.Timeout;
}

interface Room {
  jobs: Job[];
  lease?: Lease;
}

interface Waiter {
  consumerId: string;
  resolve(job: LeasedJob | null): void;
  timer: NodeJS.Timeout;
}

export interface MemoryWorkQueueOptions {
  leaseMs: number;
  dedupeTtlSeconds: number;
  /** Job ids remembered for deduplication (oldest forgotten first). */
  maxRememberedIds?: number;
}

export interface JournaledQueueOptions extends MemoryWorkQueueOptions, QueueJournalOptions {
  /** The journal file; absent: the queue is in memory only. */
  journalPath?: string;
}

export class MemoryWorkQueue implements WorkQueue {
  private readonly rooms = new Map<string, Room>();
  /** Rooms handed back (released or lease expired): served before `ready`. */
  private readonly urgent = new Set<string>();
  /** Rooms with a waiting job and no job in progress, in the order they became ready. */
  private readonly ready = new Set<string>();
  private readonly attempts = new Map<string, number>();
  /** Job ids seen, with when they were enqueued. */
  private readonly seen: TtlLru<number>;
  private journal: QueueJournal | undefined;
  private waiters: Waiter[] = [];
  private jobCount = 0;
  private tokenSeq = 0;
  private closed = false;

  constructor(private readonly options: MemoryWorkQueueOptions) {
    this.seen = new TtlLru(options.maxRememberedIds ?? 200_000, options.dedupeTtlSeconds * 1000);
  }

  /**
   * A queue on its journal: what the journal holds is restored (and the file rewritten without what is
   * no longer needed) before the queue is returned. `skipped`: damaged lines of the journal.
   */
  static async open(options: JournaledQueueOptions): Promise<{ queue: MemoryWorkQueue; skipped: number }> {
    const queue = new MemoryWorkQueue(options);
    if (!options.journalPath) return { queue, skipped: 0 };
    const { journal, replayed } = await QueueJournal.open(
      options.journalPath,
      () => queue.snapshot(),
      options,
    );
    queue.restore(replayed);
    await journal.rewriteNow();
    queue.journal = journal;
    return { queue, skipped: replayed.skipped };
  }

  async enqueue(job: Job): Promise<boolean> {
    if (this.closed) throw new Error('work queue: enqueue after close');
    if (this.seen.has(job.id)) return false;
    const at = Date.now();
    this.seen.set(job.id, at);
    if (this.journal) {
      try {
        await this.journal.append({ t: 'enq', at, job }, true);
      } catch (error) {
        // Not stored: a re-sent transaction must be able to enqueue it again.
        this.seen.delete(job.id);
        throw error;
      }
      if (this.closed) throw new Error('work queue: closed while enqueueing');
    }
    this.add(structuredClone(job));
    return true;
  }

  private add(job: Job, taken = 0): void {
    if (taken > 0) this.attempts.set(job.id, taken);
    let room = this.rooms.get(job.roomId);
    if (!room) {
      room = { jobs: [] };
      this.rooms.set(job.roomId, room);
    }
    room.jobs.push(job);
    this.jobCount++;
    if (room.jobs.length === 1 && !room.lease) {
      this.ready.add(job.roomId);
      this.serveWaiters();
    }
  }

  private restore(replayed: ReplayedQueue): void {
    const ttlMs = this.options.dedupeTtlSeconds * 1000;
    const now = Date.now();
    for (const { id, at } of replayed.seen) {
      const left = at + ttlMs - now;
      if (left > 0) this.seen.set(id, at, left);
    }
    for (const { job, at, taken } of replayed.pending) {
      // A job still to do is remembered at least until it is done.
      this.seen.set(job.id, at, ttlMs);
      this.add(job, taken);
    }
  }

  /**
   * The queue's state as journal records: the jobs left, in order (taken now), then the ids of the
   * jobs done (read as the rewrite goes; see Snapshot).
   */
  private snapshot(): { records: Iterable<JournalRecord>; size: number } {
    const now = Date.now();
    const jobs: JournalRecord[] = [];
    const pending = new Set<string>();
    for (const room of this.rooms.values()) {
      for (const job of room.jobs) {
        pending.add(job.id);
        jobs.push({ t: 'enq', at: this.seen.peek(job.id) ?? now, job });
        for (let i = this.attempts.get(job.id) ?? 0; i > 0; i--) jobs.push({ t: 'take', id: job.id });
      }
    }
    const seen = this.seen;
    function* records(): Generator<JournalRecord> {
      yield* jobs;
      for (const [id, at] of seen.entries()) if (!pending.has(id)) yield { t: 'seen', id, at };
    }
    return { records: records(), size: jobs.length + seen.size };
  }

  take(consumerId: string, blockMs: number): Promise<LeasedJob | null> {
    if (this.closed) return Promise.resolve(null);
    const job = this.tryTake(consumerId);
    if (job || blockMs <= 0) return Promise.resolve(job);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        consumerId,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(null);
        }, blockMs),
      };
      this.waiters.push(waiter);
    });
  }

  async depth(): Promise<number> {
    return this.jobCount;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(null);
    }
    this.waiters = [];
    for (const room of this.rooms.values()) if (room.lease) clearTimeout(room.lease.timer);
    await this.journal?.close();
  }

  private nextRoom(): string | undefined {
    for (const set of [this.urgent, this.ready]) {
      const first = set.values().next();
      if (!first.done) {
        set.delete(first.value);
        return first.value;
      }
    }
    return undefined;
  }

  private tryTake(consumerId: string): LeasedJob | null {
    for (let roomId = this.nextRoom(); roomId !== undefined; roomId = this.nextRoom()) {
      const room = this.rooms.get(roomId);
      const job = room?.jobs[0];
      if (!room || !job) continue;
      if (room.lease) clearTimeout(room.lease.timer); // a takeover: the old holder's lease is void
      const attempt = (this.attempts.get(job.id) ?? 0) + 1;
      this.attempts.set(job.id, attempt);
      // Not waited for: at worst a job taken just before a crash is delivered again as attempt 1.
      this.journal?.append({ t: 'take', id: job.id }, false);
      const token = ++this.tokenSeq;
      room.lease = { token, consumerId, timer: this.leaseTimer(roomId, token) };
      return this.leased(roomId, room, job, attempt, token);
    }
    return null;
  }

  private leaseTimer(roomId: string, token: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const room = this.rooms.get(roomId);
      if (room?.lease?.token !== token) return;
      // Expired: up for takeover, but the holder keeps it if it renews before anyone takes it.
      this.urgent.add(roomId);
      this.serveWaiters();
    }, this.options.leaseMs);
    timer.unref();
    return timer;
  }

  private leased(roomId: string, room: Room, job: Job, attempt: number, token: number): LeasedJob {
    const owns = () => room.lease?.token === token && this.rooms.get(roomId) === room;
    return {
      job: structuredClone(job),
      attempt,
      renew: async () => {
        if (!owns() || !room.lease) return false;
        clearTimeout(room.lease.timer);
        this.urgent.delete(roomId);
        room.lease.timer = this.leaseTimer(roomId, token);
        return true;
      },
      complete: async () => {
        if (!owns() || !room.lease) return;
        clearTimeout(room.lease.timer);
        room.lease = undefined;
        this.urgent.delete(roomId);
        room.jobs.shift();
        this.attempts.delete(job.id);
        this.jobCount--;
        if (room.jobs.length > 0) {
          this.ready.add(roomId);
          this.serveWaiters();
        } else {
          this.rooms.delete(roomId);
        }
        await this.journal?.append({ t: 'done', id: job.id }, true);
      },
      release: async () => {
        if (!owns() || !room.lease) return;
        clearTimeout(room.lease.timer);
        room.lease = undefined;
        this.urgent.add(roomId);
        this.serveWaiters();
      },
    };
  }

  private serveWaiters(): void {
    while (this.waiters.length > 0) {
      const waiter = this.waiters[0]!;
      const job = this.tryTake(waiter.consumerId);
      if (!job) return;
      this.waiters.shift();
      clearTimeout(waiter.timer);
      waiter.resolve(job);
    }
  }
}
