// The embedded queue on its journal: what was acknowledged survives a restart or a crash (a new queue
// on the same file), in order, a job that was in progress coming back as its next attempt; completed
// jobs stay completed and their ids still deduplicate; a crash mid-write, a damaged line and a file
// that is not a journal are each handled as they must be; the file is rewritten as it grows.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createStateBackend } from '../../src/state/index.ts';
import { JournalFileError, replayJournal } from '../../src/state/memory/queue-journal.ts';
import { MemoryWorkQueue } from '../../src/state/memory/work-queue.ts';
import { job, SAFE_LEASE_MS } from './state.suite.ts';

const dir = mkdtempSync(join(tmpdir(), 'clawchat-journal-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const newPath = () => join(dir, `q${++n}`, 'queue.jsonl');

const options = (journalPath: string, extra = {}) => ({
  leaseMs: SAFE_LEASE_MS,
  dedupeTtlSeconds: 3600,
  journalPath,
  ...extra,
});

/** A queue on the file, as a new process would open it (the old one is left as a crash leaves it). */
async function reopen(path: string, extra = {}) {
  return MemoryWorkQueue.open(options(path, extra));
}

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);

describe('queue journal', () => {
  test('a crash loses nothing acknowledged: pending jobs come back in order, the one in progress as attempt 2', async () => {
    const path = newPath();
    const { queue: first } = await reopen(path);
    for (const j of [job('!a', 1), job('!a', 2), job('!b', 1), job('!c', 1)])
      assert.ok(await first.enqueue(j));
    const a1 = await first.take('c1', 0);
    assert.equal(a1?.job.id, job('!a', 1).id);
    const b1 = await first.take('c1', 0);
    await b1!.complete();
    await first.take('c1', 0); // !c 1 in progress too
    // Crash: no close. The take records are not waited for; let the next write carry them.
    await first.enqueue(job('!d', 1));

    const { queue: second, skipped } = await reopen(path);
    assert.equal(skipped, 0);
    assert.equal(await second.depth(), 4, '!a 1, !a 2, !c 1, !d 1');
    const taken = [];
    for (let leased = await second.take('c2', 0); leased; leased = await second.take('c2', 0)) {
      taken.push([leased.job.id, leased.attempt]);
      await leased.complete();
    }
    assert.deepEqual(taken, [
      [job('!a', 1).id, 2],
      [job('!c', 1).id, 2],
      [job('!d', 1).id, 1],
      [job('!a', 2).id, 1],
    ]);
    assert.equal(await second.depth(), 0, 'all completed');
    const { queue: third } = await reopen(path);
    assert.equal(await third.depth(), 0, 'completed jobs stay completed');
    for (const j of [job('!a', 1), job('!b', 1), job('!d', 1)])
      assert.equal(await third.enqueue(j), false, `${j.id}: still a duplicate after the restart`);
    assert.equal(await third.enqueue(job('!e', 1)), true);
    await third.close();
  });

  test('the whole job round-trips through the file', async () => {
    const path = newPath();
    const original = job('!room:localhost', 7, {
      kind: 'retry',
      rateLimitAtWorker: true,
      event: { type: 'm.room.message', content: { body: 'héllo 👋\nline two', nested: [1, { a: null }] } },
    });
    const { queue } = await reopen(path);
    await queue.enqueue(original);
    const { queue: after } = await reopen(path);
    assert.deepEqual((await after.take('c', 0))?.job, original);
    await after.close();
  });

  test('a last line cut by a crash is dropped; a damaged line is skipped and counted; the rest is kept', async () => {
    const path = newPath();
    const { queue } = await reopen(path);
    await queue.enqueue(job('!a', 1));
    await queue.enqueue(job('!b', 1));
    await queue.close();
    const [header, a, b] = lines(path);
    writeFileSync(path, `${header}\n${a}\n{"t":"enq","job":{"id":\n${b}\n{"t":"done","id":"$event-!b`);
    const { queue: after, skipped } = await reopen(path);
    assert.equal(skipped, 1);
    assert.equal(await after.depth(), 2, 'both jobs kept; the cut "done" never happened');
    await after.close();
    assert.equal(
      await createStateBackend({
        leaseMs: SAFE_LEASE_MS,
        rateLimit: { capacity: 1, refillPerSecond: 1 },
        journalPath: path,
        onWarning: (message) => assert.fail(`no warning expected after the rewrite: ${message}`),
      }).then(async (backend) => {
        const depth = await backend.queue.depth();
        await backend.close();
        return depth;
      }),
      2,
      'the damaged line is gone after the rewrite',
    );
  });

  test('the backend warns about damaged lines, naming the file', async () => {
    const path = newPath();
    const { queue } = await reopen(path);
    await queue.enqueue(job('!a', 1));
    await queue.close();
    appendFileSync(path, 'not json\n');
    const warnings: string[] = [];
    const backend = await createStateBackend({
      leaseMs: SAFE_LEASE_MS,
      rateLimit: { capacity: 1, refillPerSecond: 1 },
      journalPath: path,
      onWarning: (message) => warnings.push(message),
    });
    assert.equal(await backend.queue.depth(), 1);
    await backend.close();
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0]!.includes(path) && /1 damaged line\(s\) skipped/.test(warnings[0]!), warnings[0]);
  });

  test('a file that is not a journal is refused and left as it was', async () => {
    const path = join(dir, 'not-a-journal.txt');
    writeFileSync(path, 'my notes\nkeep them\n');
    await assert.rejects(reopen(path), (error: Error) => {
      assert.ok(error instanceof JournalFileError);
      assert.match(error.message, /not-a-journal\.txt: is not a ClawChat queue journal.*QUEUE_JOURNAL_FILE/);
      return true;
    });
    assert.equal(readFileSync(path, 'utf8'), 'my notes\nkeep them\n');
    await assert.rejects(reopen(dir), /cannot be read/);
    assert.throws(
      () => replayJournal('{"t":"clawchat-queue-journal","v":99}\n', 'x'),
      /has version 99, this gateway reads version 1/,
    );
  });

  test('the file is rewritten with only what is needed, at open and as it grows', async () => {
    const path = newPath();
    const { queue } = await reopen(path, { compactAfterLines: 40 });
    for (let i = 0; i < 100; i++) {
      await queue.enqueue(job(`!r${i}`, 1));
      await (await queue.take('c', 0))!.complete();
    }
    await queue.enqueue(job('!left', 1));
    await queue.enqueue(job('!left', 2));
    await queue.close();
    // 100 ids remembered and 2 jobs: far fewer lines than the 300 written.
    const count = lines(path).length;
    assert.ok(count < 200, `${count} lines after the rewrites`);
    const { queue: after } = await reopen(path);
    assert.equal(lines(path).length, 1 + 100 + 2, 'at open: header, the ids of done jobs, the jobs left');
    assert.equal(await after.depth(), 2);
    assert.equal(await after.enqueue(job('!r5', 1)), false, 'ids kept across rewrites');
    assert.equal((await after.take('c', 0))?.job.id, job('!left', 1).id);
    await after.close();
  });

  test('ids older than the deduplication time are not carried over', async () => {
    const path = newPath();
    const { queue } = await reopen(path);
    await queue.close();
    const seen = (id: string, at: number) => `${JSON.stringify({ t: 'seen', id, at })}\n`;
    appendFileSync(path, seen('$old', Date.now() - 7200_000) + seen('$recent', Date.now() - 60_000));
    const { queue: after } = await reopen(path); // deduplication time: one hour
    assert.equal(lines(path).length, 2, 'the header and the recent id');
    assert.equal(await after.enqueue(job('!a', 1, { id: '$old' })), true);
    assert.equal(await after.enqueue(job('!a', 2, { id: '$recent' })), false);
    await after.close();
  });

  test('on a quiet gateway the text of answered messages leaves the file with the periodic rewrite', {
    timeout: 30_000,
  }, async () => {
    const path = newPath();
    const { queue } = await reopen(path, { rewriteEveryMs: 50 });
    const secret = job('!quiet', 1, { event: { content: { body: 'private words 7f3a' } } });
    await queue.enqueue(secret);
    await (await queue.take('c', 0))!.complete();
    while (readFileSync(path, 'utf8').includes('private words 7f3a'))
      await new Promise((resolve) => setTimeout(resolve, 25));
    await queue.close();
    const { queue: after } = await reopen(path);
    assert.equal(await after.enqueue(secret), false, 'its id is still remembered');
    await after.close();
  });

  test('replay: a job enqueued again after its id expired counts; a repeat of a pending one does not', () => {
    const header = '{"t":"clawchat-queue-journal","v":1}';
    const line = (record: unknown) => JSON.stringify(record);
    const x = job('!x', 1);
    const y = job('!y', 1);
    const text = [
      header,
      line({ t: 'seen', id: x.id, at: 1 }),
      line({ t: 'enq', at: 2, job: x }),
      line({ t: 'enq', at: 3, job: y }),
      line({ t: 'take', id: y.id }),
      line({ t: 'enq', at: 3, job: y }), // the overlap of a rewrite and the lines appended meanwhile
      line({ t: 'enq', at: 4, job: job('!z', 1) }),
      line({ t: 'done', id: job('!z', 1).id }),
      '',
    ].join('\n');
    const replayed = replayJournal(text, 'x');
    assert.deepEqual(
      replayed.pending.map((p) => [p.job.id, p.at, p.taken]),
      [
        [x.id, 2, 0],
        [y.id, 3, 1],
      ],
    );
    assert.deepEqual(replayed.seen, [{ id: job('!z', 1).id, at: 4 }], 'a job done keeps its id');
    assert.equal(replayed.skipped, 0);
  });
});
