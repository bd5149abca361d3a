// The embedded queue's journal: an append-only file of the jobs enqueued, taken and completed, so that
// with no Redis a restart or a crash loses no message the homeserver was told is queued.
// - An enqueue and a completion resolve only once their line is on disk (fdatasync). Lines written
//   close together share one write and one sync (group commit), so a transaction of 100 events costs
//   one sync, and thousands of conversations a few hundred syncs a second at most.
// - At open the file is replayed, then rewritten with only what is still needed: the jobs not
//   completed (in order, with how often they were taken) and the ids of recent ones (a re-sent
//   transaction is still a no-op). The same rewrite runs again once most lines are no longer needed,
//   and every `rewriteEveryMs` when anything was appended.
// - Replay forgives what a crash can leave (a last line cut mid-write, never acknowledged) and skips a
//   damaged line with a warning; a file that is not a journal is refused, never overwritten.
import { type FileHandle, mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Job } from '../types.ts';

const HEADER = { t: 'clawchat-queue-journal', v: 1 } as const;
const headerSchema = z.object({ t: z.literal(HEADER.t), v: z.unknown() });

const jobSchema = z.object({
  id: z.string().min(1),
  roomId: z.string().min(1),
  sender: z.string(),
  kind: z.enum(['reply', 'retry']),
  event: z.record(z.string(), z.unknown()),
  enqueuedAt: z.number(),
  rateLimitAtWorker: z.literal(true).optional(),
});

const recordSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('enq'), at: z.number(), job: jobSchema }),
  z.object({ t: z.literal('take'), id: z.string() }),
  z.object({ t: z.literal('done'), id: z.string() }),
  z.object({ t: z.literal('seen'), id: z.string(), at: z.number() }),
]);

export type JournalRecord = z.infer<typeof recordSchema>;

export interface ReplayedQueue {
  /** Jobs not completed, in enqueue order, with when each was enqueued and how often it was taken. */
  pending: { job: Job; at: number; taken: number }[];
  /** Ids of completed jobs with when they were enqueued (for deduplication). */
  seen: { id: string; at: number }[];
  /** Damaged lines skipped (not counting a last line cut by a crash). */
  skipped: number;
}

export class JournalFileError extends Error {
  constructor(path: string, why: string) {
    super(`queue journal ${path}: ${why}`);
    this.name = 'JournalFileError';
  }
}

/** The state a journal's text describes. Idempotent: a record repeated (across a rewrite) changes nothing. */
export function replayJournal(text: string, path: string): ReplayedQueue {
  const pending = new Map<string, { job: Job; at: number; taken: number }>();
  const seen = new Map<string, number>();
  let skipped = 0;
  if (text === '') return { pending: [], seen: [], skipped };
  const lines = text.split('\n');
  // After the last newline: nothing, or a line cut mid-write by a crash (never acknowledged): dropped.
  lines.pop();
  const header = headerSchema.safeParse(parseLine(lines[0]));
  if (!header.success) {
    throw new JournalFileError(
      path,
      'is not a ClawChat queue journal (its first line is not the header); refusing to use or overwrite it. Point QUEUE_JOURNAL_FILE at a new file.',
    );
  }
  if (header.data.v !== HEADER.v) {
    throw new JournalFileError(
      path,
      `has version ${String(header.data.v)}, this gateway reads version ${HEADER.v}`,
    );
  }
  for (const line of lines.slice(1)) {
    const parsed = recordSchema.safeParse(parseLine(line));
    if (!parsed.success) {
      skipped++;
      continue;
    }
    const record = parsed.data;
    switch (record.t) {
      case 'enq':
        // Only a job already pending is a repeat (a rewrite and the lines appended meanwhile overlap);
        // after a `seen`, it is enqueued again (its id had expired from the live queue's memory).
        if (!pending.has(record.job.id)) {
          pending.set(record.job.id, { job: record.job as Job, at: record.at, taken: 0 });
          seen.set(record.job.id, record.at);
        }
        break;
      case 'take': {
        const entry = pending.get(record.id);
        if (entry) entry.taken++;
        break;
      }
      case 'done':
        pending.delete(record.id);
        break;
      case 'seen':
        if (!seen.has(record.id)) seen.set(record.id, record.at);
        break;
    }
  }
  return {
    pending: [...pending.values()],
    seen: [...seen].filter(([id]) => !pending.has(id)).map(([id, at]) => ({ id, at })),
    skipped,
  };
}

function parseLine(line: string | undefined): unknown {
  if (!line) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/**
 * What the queue holds now, as the records a rewritten journal starts with, and about how many there
 * are. The records may be read across turns of the event loop while the queue goes on: what changes
 * meanwhile is also in the lines appended after the rewrite, and replay is idempotent.
 */
export type Snapshot = () => { records: Iterable<JournalRecord>; size: number };

export interface QueueJournalOptions {
  /** Rewrite once this many lines were appended since the last rewrite and most are not needed. */
  compactAfterLines?: number;
  /**
   * Rewrite this often when anything was appended, so that the text of answered messages does not
   * stay on disk for long on a quiet gateway (default one hour).
   */
  rewriteEveryMs?: number;
}

export class QueueJournal {
  private buffer: string[] = [];
  private waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private chain: Promise<void> = Promise.resolve();
  private scheduled = false;
  private appendedSinceRewrite = 0;
  private nextCheck: number;
  private closed = false;
  private readonly compactAfterLines: number;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    readonly path: string,
    private file: FileHandle,
    private readonly snapshot: Snapshot,
    options: QueueJournalOptions,
  ) {
    this.compactAfterLines = options.compactAfterLines ?? 50_000;
    this.nextCheck = this.compactAfterLines;
    this.timer = setInterval(() => {
      if (this.appendedSinceRewrite > 0 && !this.closed) this.rewriteNow().catch(() => {});
    }, options.rewriteEveryMs ?? 3_600_000);
    this.timer.unref();
  }

  /**
   * Reads the journal at `path` (created, with its directory, when there is none) and opens it for
   * appending. The caller restores `replayed`, then calls `rewriteNow` to drop what is no longer needed.
   */
  static async open(
    path: string,
    snapshot: Snapshot,
    options: QueueJournalOptions = {},
  ): Promise<{ journal: QueueJournal; replayed: ReplayedQueue }> {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new JournalFileError(path, `cannot be read (${(error as Error).message})`);
    }
    const replayed = replayJournal(text, path);
    try {
      await mkdir(dirname(path), { recursive: true });
      const file = await open(path, 'a', 0o600);
      if (text === '') {
        await file.write(`${JSON.stringify(HEADER)}\n`);
        await file.datasync();
      }
      return { journal: new QueueJournal(path, file, snapshot, options), replayed };
    } catch (error) {
      throw new JournalFileError(path, `cannot be written (${(error as Error).message})`);
    }
  }

  /** Rewrites the journal from the queue's state now (after a replay, and on the timer). */
  rewriteNow(): Promise<void> {
    const step = this.chain.then(() => this.compact(true));
    this.chain = step.catch(() => {});
    return step;
  }

  /** Appends a record; `durable`: resolves once it is on disk (otherwise it goes with the next sync). */
  append(record: JournalRecord, durable: true): Promise<void>;
  append(record: JournalRecord, durable: false): void;
  append(record: JournalRecord, durable: boolean): Promise<void> | void {
    if (this.closed) {
      const error = new Error(`queue journal ${this.path}: closed`);
      if (durable) return Promise.reject(error);
      return;
    }
    this.buffer.push(`${JSON.stringify(record)}\n`);
    this.appendedSinceRewrite++;
    const done = durable
      ? new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }))
      : undefined;
    this.schedule();
    return done;
  }

  /** Writes what is buffered, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.chain = this.chain.then(() => this.flush());
    await this.chain;
    await this.file.close();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Everything appended in this turn of the event loop goes in one write and one sync.
    setImmediate(() => {
      this.chain = this.chain.then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const lines = this.buffer;
    const waiters = this.waiters;
    this.buffer = [];
    this.waiters = [];
    if (lines.length > 0) {
      try {
        await this.file.write(lines.join(''));
        await this.file.datasync();
        for (const w of waiters) w.resolve();
      } catch (error) {
        const why = new JournalFileError(this.path, `write failed (${(error as Error).message})`);
        for (const w of waiters) w.reject(why);
        return;
      }
    }
    if (!this.closed && this.appendedSinceRewrite >= this.nextCheck)
      await this.compact(false).catch(() => {});
  }

  /**
   * Rewrites the journal from the queue's state: always (`force`), or when at most half of the lines
   * appended since the last rewrite are still needed. On failure the old file is still whole and still
   * appended to.
   */
  private async compact(force: boolean): Promise<void> {
    const { records, size } = this.snapshot();
    if (!force && size * 2 > this.appendedSinceRewrite) {
      this.nextCheck = this.appendedSinceRewrite + this.compactAfterLines;
      return;
    }
    try {
      await rewrite(this.path, records);
    } catch (error) {
      this.nextCheck = this.appendedSinceRewrite + this.compactAfterLines;
      throw new JournalFileError(this.path, `rewrite failed (${(error as Error).message})`);
    }
    const previous = this.file;
    this.file = await open(this.path, 'a');
    await previous.close();
    this.appendedSinceRewrite = 0;
    this.nextCheck = this.compactAfterLines;
  }
}

/** Writes header + records to a new file, syncs it, and renames it over `path` (atomic on POSIX). */
async function rewrite(path: string, records: Iterable<JournalRecord>): Promise<void> {
  const temporary = `${path}.rewrite`;
  const file = await open(temporary, 'w', 0o600);
  try {
    let chunk = `${JSON.stringify(HEADER)}\n`;
    for (const record of records) {
      chunk += `${JSON.stringify(record)}\n`;
      // Written (and the event loop let go) every 256 KB: a large rewrite never blocks for long.
      if (chunk.length > 1 << 18) {
        await file.write(chunk);
        chunk = '';
      }
    }
    await file.write(chunk);
    await file.datasync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
