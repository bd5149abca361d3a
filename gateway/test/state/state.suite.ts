// Every behaviour of the state interfaces, run against both implementations (memory.test.ts,
// redis.test.ts). No timed assertions: waits only ever make a test slower, never flaky.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { StateBackendOptions } from '../../src/state/options.ts';
import type { Job, LeasedJob, StateBackend } from '../../src/state/types.ts';

export type MakeBackend = (overrides?: Partial<StateBackendOptions>) => Promise<StateBackend>;

/** Short lease, only for the tests about expiry. */
export const LEASE_MS = 600;
/** The default lease of the suites: long enough that a stalled machine never expires one by accident. */
export const SAFE_LEASE_MS = 30_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function job(roomId: string, n: number, extra: Partial<Job> = {}): Job {
  return {
    id: `$event-${roomId}-${n}`,
    roomId,
    sender: '@alice:localhost',
    kind: 'reply',
    event: { type: 'm.room.message', content: { msgtype: 'm.text', body: `message ${n}` } },
    enqueuedAt: 1_700_000_000_000 + n,
    ...extra,
  };
}

export function stateSuite(name: string, make: MakeBackend): void {
  describe(`state backend: ${name}`, () => {
    const open: StateBackend[] = [];
    const backend = async (overrides?: Partial<StateBackendOptions>) => {
      const b = await make(overrides);
      open.push(b);
      return b;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    describe('work queue', () => {
      test('enqueue is idempotent by job id', async () => {
        const { queue } = await backend();
        assert.equal(await queue.enqueue(job('!a', 1)), true);
        assert.equal(await queue.enqueue(job('!a', 1)), false);
        assert.equal(await queue.depth(), 1);
        const leased = await queue.take('c1', 0);
        await leased!.complete();
        // Still remembered after completion: a redelivered transaction must not answer twice.
        assert.equal(await queue.enqueue(job('!a', 1)), false);
        assert.equal(await queue.depth(), 0);
      });

      test('the job round-trips whole, attempt 1 on first delivery', async () => {
        const { queue } = await backend();
        const original = job('!room:localhost', 1, { kind: 'retry', event: { nested: { a: [1, 2] } } });
        await queue.enqueue(original);
        const leased = await queue.take('c1', 1000);
        assert.deepEqual(leased?.job, original);
        assert.equal(leased?.attempt, 1);
      });

      test('one job of a room at a time: the next waits until the first completes', async () => {
        const { queue } = await backend();
        await queue.enqueue(job('!a', 1));
        await queue.enqueue(job('!a', 2));
        assert.equal(await queue.depth(), 2);
        const first = await queue.take('c1', 1000);
        assert.equal(first?.job.id, job('!a', 1).id);
        assert.equal(await queue.take('c2', 50), null);
        assert.equal(await queue.depth(), 2, 'waiting and in-progress jobs both count');
        await first!.complete();
        assert.equal(await queue.depth(), 1);
        const second = await queue.take('c2', 1000);
        assert.equal(second?.job.id, job('!a', 2).id);
        await second!.complete();
        assert.equal(await queue.depth(), 0);
        assert.equal(await queue.take('c1', 0), null);
      });

      test('take returns null when nothing comes within blockMs', async () => {
        const { queue } = await backend();
        assert.equal(await queue.take('c1', 0), null);
        assert.equal(await queue.take('c1', 100), null);
      });

      test('a blocked take is woken by an enqueue', async () => {
        const { queue } = await backend();
        const pending = queue.take('c1', 10_000);
        await sleep(50);
        await queue.enqueue(job('!a', 1));
        const leased = await pending;
        assert.equal(leased?.job.id, job('!a', 1).id);
      });

      test('rooms are served in the order they became ready', async () => {
        const { queue } = await backend();
        for (let n = 1; n <= 3; n++) await queue.enqueue(job('!busy', n));
        await sleep(5);
        await queue.enqueue(job('!quiet', 1));
        const order: string[] = [];
        for (let i = 0; i < 4; i++) {
          const leased = await queue.take('c1', 1000);
          order.push(leased!.job.id);
          await sleep(5);
          await leased!.complete();
        }
        assert.deepEqual(order, [
          job('!busy', 1).id,
          job('!quiet', 1).id,
          job('!busy', 2).id,
          job('!busy', 3).id,
        ]);
      });

      test('per-room order holds under concurrent consumers, and rooms run in parallel', async () => {
        const { queue } = await backend();
        const rooms = Array.from({ length: 12 }, (_, i) => `!room${i}`);
        const perRoom = 6;
        for (let n = 1; n <= perRoom; n++) for (const room of rooms) await queue.enqueue(job(room, n));
        const processed = new Map<string, number[]>();
        const inProgress = new Set<string>();
        let maxParallel = 0;
        let overlap = false;
        const total = rooms.length * perRoom;
        let done = 0;
        const consumer = async (id: string) => {
          while (done < total) {
            const leased = await queue.take(id, 200);
            if (!leased) continue;
            const { roomId } = leased.job;
            if (inProgress.has(roomId)) overlap = true;
            inProgress.add(roomId);
            maxParallel = Math.max(maxParallel, inProgress.size);
            await sleep(1 + Math.floor(Math.random() * 4));
            const n = Number(leased.job.id.split('-').at(-1));
            processed.set(roomId, [...(processed.get(roomId) ?? []), n]);
            inProgress.delete(roomId);
            await leased.complete();
            done++;
          }
        };
        await Promise.all(['c1', 'c2', 'c3', 'c4', 'c5'].map(consumer));
        assert.equal(overlap, false, 'two jobs of one room were in progress at once');
        for (const room of rooms) assert.deepEqual(processed.get(room), [1, 2, 3, 4, 5, 6], room);
        assert.ok(maxParallel > 1, `rooms ran in parallel (max ${maxParallel})`);
        assert.equal(await queue.depth(), 0);
      });

      test('an expired lease is taken over: same job, attempt 2; the old holder lost it', async () => {
        const { queue } = await backend({ leaseMs: LEASE_MS });
        await queue.enqueue(job('!a', 1));
        await queue.enqueue(job('!a', 2));
        const a = await queue.take('dies', 1000);
        assert.equal(a?.attempt, 1);
        // No renew: the lease runs out and a blocked consumer gets the same job.
        const b = await queue.take('survivor', 10 * LEASE_MS);
        assert.ok(b, 'the job was taken over');
        assert.equal(b.job.id, job('!a', 1).id);
        assert.equal(b.attempt, 2);
        assert.equal(await a!.renew(), false, 'renew fails after a takeover');
        await a!.complete(); // ignored: not the holder any more
        assert.equal(await queue.depth(), 2);
        assert.equal(await queue.take('other', 0), null, 'the room is still busy with the taken-over job');
        assert.equal(await b.renew(), true);
        await b.complete();
        const next = await queue.take('survivor', 1000);
        assert.equal(next?.job.id, job('!a', 2).id);
        assert.equal(next?.attempt, 1);
      });

      test('renew keeps the lease: nobody else can take the room', async () => {
        const { queue } = await backend();
        await queue.enqueue(job('!a', 1));
        const a = await queue.take('c1', 1000);
        assert.equal(await a!.renew(), true);
        assert.equal(await queue.take('c2', 0), null);
        await a!.complete();
        assert.equal(await a!.renew(), false, 'nothing to renew after completion');
      });

      test('release hands the job back at once, with attempt 2', async () => {
        const { queue } = await backend();
        await queue.enqueue(job('!a', 1));
        await queue.enqueue(job('!b', 1));
        const a = await queue.take('shutting-down', 1000);
        assert.equal(a?.job.id, job('!a', 1).id);
        await a!.release();
        const again = await queue.take('c2', 1000);
        assert.equal(again?.job.id, job('!a', 1).id, 'released job served before other ready rooms');
        assert.equal(again?.attempt, 2);
        assert.equal(await a!.renew(), false);
        await a!.complete(); // no effect
        assert.equal(await queue.depth(), 2);
      });

      test('close wakes blocked takers with null', async () => {
        const b = await make();
        const pending = b.queue.take('c1', 30_000);
        await sleep(20);
        await b.close();
        assert.equal(await pending, null);
      });

      test('many rooms with jobs in flight at once', async () => {
        const { queue } = await backend();
        const rooms = 2000;
        await Promise.all(Array.from({ length: rooms }, (_, i) => queue.enqueue(job(`!r${i}`, 1))));
        await Promise.all(Array.from({ length: rooms }, (_, i) => queue.enqueue(job(`!r${i}`, 2))));
        assert.equal(await queue.depth(), rooms * 2);
        const leases: LeasedJob[] = [];
        for (;;) {
          const batch = await Promise.all(Array.from({ length: 200 }, (_, i) => queue.take(`c${i}`, 0)));
          const got = batch.filter((l): l is LeasedJob => l !== null);
          if (got.length === 0) break;
          leases.push(...got);
        }
        assert.equal(leases.length, rooms, 'exactly one job per room in flight');
        assert.ok(leases.every((l) => l.job.id.endsWith('-1')));
        await Promise.all(leases.map((l) => l.complete()));
        const second = await Promise.all(Array.from({ length: rooms }, (_, i) => queue.take(`c${i}`, 1000)));
        assert.ok(second.every((l) => l?.job.id.endsWith('-2')));
        await Promise.all(second.map((l) => l!.complete()));
        assert.equal(await queue.depth(), 0);
      });
    });

    describe('conversation store', () => {
      test('history: unknown, set, read back, cleared to empty', async () => {
        const { store } = await backend();
        assert.equal(await store.getHistory('!a'), null);
        const messages = [
          { role: 'user' as const, content: 'hi 👋 "quoted"' },
          { role: 'assistant' as const, content: 'hello\nthere' },
        ];
        await store.setHistory('!a', messages);
        assert.deepEqual(await store.getHistory('!a'), messages);
        const copy = await store.getHistory('!a');
        copy!.push({ role: 'user', content: 'mutated' });
        assert.deepEqual(await store.getHistory('!a'), messages, 'stored value is not aliased');
        await store.clearHistory('!a');
        assert.deepEqual(await store.getHistory('!a'), []);
        assert.equal(await store.getHistory('!b'), null);
      });

      test('history is forgotten after historyTtlSeconds without writes (then rebuilt from the room)', async () => {
        const { store } = await backend({ historyTtlSeconds: 1 });
        await store.setHistory('!ttl', [{ role: 'user', content: 'soon forgotten' }]);
        for (let waited = 0; (await store.getHistory('!ttl')) !== null; waited += 100) {
          assert.ok(waited < 15_000, 'the history outlived its TTL by far');
          await sleep(100);
        }
      });

      test('settings per room default to {}', async () => {
        const { store } = await backend();
        assert.deepEqual(await store.getSettings('!a'), {});
        await store.setSettings('!a', { model: 'claude-x', systemPrompt: 'Be nice.' });
        assert.deepEqual(await store.getSettings('!a'), { model: 'claude-x', systemPrompt: 'Be nice.' });
        assert.deepEqual(await store.getSettings('!b'), {});
      });

      test('reply progress per source event', async () => {
        const { store } = await backend();
        assert.equal(await store.getReply('$e1'), null);
        const progress = {
          replyEventId: '$r1',
          text: 'partial',
          state: 'streaming' as const,
          updatedAt: 123,
        };
        await store.setReply('$e1', progress);
        assert.deepEqual(await store.getReply('$e1'), progress);
        await store.setReply('$e1', { ...progress, text: 'partial and more', state: 'done' });
        assert.equal((await store.getReply('$e1'))?.state, 'done');
      });

      test('transaction ids are recorded once', async () => {
        const { store } = await backend();
        assert.equal(await store.markTransaction('txn-1'), true);
        assert.equal(await store.markTransaction('txn-1'), false);
        assert.equal(await store.markTransaction('txn-2'), true);
      });
    });

    test('rate limiter: a bucket of capacity N refills over time, per key', async () => {
      const { rateLimiter } = await backend({ rateLimit: { capacity: 2, refillPerSecond: 2 } });
      assert.equal((await rateLimiter.take('@a')).allowed, true);
      assert.equal((await rateLimiter.take('@a')).allowed, true);
      const denied = await rateLimiter.take('@a');
      assert.equal(denied.allowed, false);
      assert.ok(denied.retryAfterMs > 0 && denied.retryAfterMs <= 500, `retryAfterMs ${denied.retryAfterMs}`);
      assert.equal((await rateLimiter.take('@b')).allowed, true, 'keys are independent');
      await sleep(denied.retryAfterMs + 30);
      assert.equal((await rateLimiter.take('@a')).allowed, true, 'refilled');
    });

    test('stop signals: consumed once, only when requested since the given time', async () => {
      const { stops } = await backend();
      const before = Date.now() - 1000;
      assert.equal(await stops.consumeStop('!a', before), false);
      await stops.requestStop('!a');
      assert.equal(await stops.consumeStop('!b', before), false, 'per room');
      assert.equal(await stops.consumeStop('!a', before), true);
      assert.equal(await stops.consumeStop('!a', before), false, 'consumed');
      await stops.requestStop('!a');
      assert.equal(await stops.consumeStop('!a', Date.now() + 60_000), false, 'a stop older than the reply');
    });

    test('stop signals: many rooms in one call, each consumed once, in slices past a thousand', async () => {
      const { stops } = await backend();
      const before = Date.now() - 1000;
      assert.deepEqual(await stops.consumeStops([]), []);
      const rooms = Array.from({ length: 2500 }, (_, i) => `!many-${i}`);
      const requested = rooms.filter((_, i) => i % 7 === 0);
      for (const roomId of requested) await stops.requestStop(roomId);
      const queries = rooms.map((roomId, i) => ({ roomId, since: i === 7 ? Date.now() + 60_000 : before }));
      const stopped = await stops.consumeStops(queries);
      assert.deepEqual(
        [...stopped].sort(),
        requested.filter((r) => r !== '!many-7').sort(),
        'every requested room but the one whose reply is newer than its stop',
      );
      assert.deepEqual(await stops.consumeStops(queries.map((q) => ({ ...q, since: before }))), ['!many-7']);
      assert.deepEqual(await stops.consumeStops(queries), [], 'consumed');
    });

    describe('edit budget shares', () => {
      const LONG_MS = 60_000;

      test('each process sees the live others: how many, and their streams', async () => {
        const { editBudget } = await backend();
        assert.deepEqual(await editBudget.report('p1', 30, LONG_MS), { processes: 0, streams: 0 });
        assert.deepEqual(await editBudget.report('p2', 10, LONG_MS), { processes: 1, streams: 30 });
        assert.deepEqual(await editBudget.report('p3', 0, LONG_MS), { processes: 2, streams: 40 });
        assert.deepEqual(await editBudget.report('p1', 5, LONG_MS), { processes: 2, streams: 10 });
        assert.deepEqual(
          await editBudget.report('p2', 10, LONG_MS),
          { processes: 2, streams: 5 },
          "a process's new report replaces its last",
        );
      });

      test('a process that leaves, or stops reporting, no longer counts', async () => {
        const { editBudget } = await backend();
        await editBudget.report('leaving', 7, LONG_MS);
        await editBudget.report('dying', 3, 300);
        assert.deepEqual(await editBudget.report('staying', 1, LONG_MS), { processes: 2, streams: 10 });
        await editBudget.leave('leaving');
        await editBudget.leave('never-reported');
        assert.deepEqual(await editBudget.report('staying', 1, LONG_MS), { processes: 1, streams: 3 });
        await sleep(600); // past the dying process's last report
        assert.deepEqual(await editBudget.report('staying', 1, LONG_MS), { processes: 0, streams: 0 });
      });
    });
  });
}
