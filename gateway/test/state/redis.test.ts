import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createStateBackend, type StateBackendOptions } from '../../src/state/index.ts';
import { deletePrefix, REDIS_URL, uniquePrefix } from './redis-helpers.ts';
import { job, SAFE_LEASE_MS, stateSuite } from './state.suite.ts';

const base = { redisUrl: REDIS_URL, leaseMs: SAFE_LEASE_MS, rateLimit: { capacity: 5, refillPerSecond: 1 } };

/** A backend on its own key prefix, whose keys are deleted when it closes. */
async function isolated(overrides: Partial<StateBackendOptions> = {}, prefix = uniquePrefix()) {
  const backend = await createStateBackend({ ...base, keyPrefix: prefix, ...overrides });
  const close = backend.close;
  backend.close = async () => {
    await close();
    await deletePrefix(prefix);
  };
  return backend;
}

stateSuite('redis', (overrides) => isolated(overrides));

describe('redis only', () => {
  const prefixes: string[] = [];
  after(async () => {
    await Promise.all(prefixes.map(deletePrefix));
  });
  const shared = () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    return prefix;
  };
  const open = (prefix: string, overrides: Partial<StateBackendOptions> = {}) =>
    createStateBackend({ ...base, keyPrefix: prefix, ...overrides });

  test('a Redis URL gives the Redis backend; an unreachable one fails with a clear error', async () => {
    const backend = await open(shared());
    assert.equal(backend.kind, 'redis');
    await backend.close();
    await assert.rejects(
      createStateBackend({ ...base, redisUrl: 'redis://127.0.0.1:1', keyPrefix: shared() }),
      /state backend: cannot use Redis at redis:\/\/127\.0\.0\.1:1/,
    );
  });

  test('state is shared by processes on one Redis, isolated by key prefix', async () => {
    const prefix = shared();
    const [p1, p2, other] = [await open(prefix), await open(prefix), await open(shared())];
    try {
      assert.equal(await p1.queue.enqueue(job('!a', 1)), true);
      assert.equal(await p2.queue.enqueue(job('!a', 1)), false, 'dedupe across processes');
      assert.equal(await other.queue.depth(), 0);
      const pending = p2.queue.take('p2', 5000);
      const leased = await pending;
      assert.equal(leased?.job.id, job('!a', 1).id);
      await p1.store.setHistory('!a', [{ role: 'user', content: 'x' }]);
      assert.deepEqual(await p2.store.getHistory('!a'), [{ role: 'user', content: 'x' }]);
      await p2.stops.requestStop('!a');
      assert.equal(await p1.stops.consumeStop('!a', Date.now() - 5000), true);
      assert.equal(await p1.store.markTransaction('t1'), true);
      assert.equal(await p2.store.markTransaction('t1'), false);
    } finally {
      await Promise.all([p1.close(), p2.close(), other.close()]);
    }
  });

  test('per-room order holds with consumers in several processes', async () => {
    const prefix = shared();
    const processes = [await open(prefix), await open(prefix), await open(prefix)];
    try {
      const rooms = Array.from({ length: 8 }, (_, i) => `!room${i}`);
      for (let n = 1; n <= 5; n++)
        for (const room of rooms) await processes[n % 3]!.queue.enqueue(job(room, n));
      const seen = new Map<string, number[]>();
      let done = 0;
      const consumer = async (p: number, c: number) => {
        while (done < rooms.length * 5) {
          const leased = await processes[p]!.queue.take(`p${p}c${c}`, 200);
          if (!leased) continue;
          const n = Number(leased.job.id.split('-').at(-1));
          seen.set(leased.job.roomId, [...(seen.get(leased.job.roomId) ?? []), n]);
          await new Promise((r) => setTimeout(r, 2));
          await leased.complete();
          done++;
        }
      };
      await Promise.all([0, 1, 2].flatMap((p) => [0, 1].map((c) => consumer(p, c))));
      for (const room of rooms) assert.deepEqual(seen.get(room), [1, 2, 3, 4, 5], room);
    } finally {
      await Promise.all(processes.map((p) => p.close()));
    }
  });

  test("a SIGKILLed process's job is finished by another process (same job, attempt 2)", async () => {
    const prefix = shared();
    const survivor = await open(prefix, { leaseMs: 800 });
    try {
      await survivor.queue.enqueue(job('!a', 1));
      await survivor.queue.enqueue(job('!a', 2));
      const childPath = fileURLToPath(new URL('./redis-child.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', childPath, REDIS_URL, prefix, '800'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      assert.deepEqual(JSON.parse(line.toString()), { taken: job('!a', 1).id, attempt: 1 });
      child.kill('SIGKILL');
      await once(child, 'exit');
      const leased = await survivor.queue.take('survivor', 15_000);
      assert.equal(leased?.job.id, job('!a', 1).id);
      assert.equal(leased?.attempt, 2);
      await leased!.complete();
      const next = await survivor.queue.take('survivor', 1000);
      assert.equal(next?.job.id, job('!a', 2).id);
      await next!.complete();
      assert.equal(await survivor.queue.depth(), 0);
    } finally {
      await survivor.close();
    }
  });

  test('a blocked consumer in another process is woken by an enqueue', async () => {
    const prefix = shared();
    const [producer, consumer] = [await open(prefix), await open(prefix)];
    try {
      const pending = consumer.queue.take('c', 10_000);
      await new Promise((r) => setTimeout(r, 50));
      await producer.queue.enqueue(job('!z', 1));
      assert.equal((await pending)?.job.id, job('!z', 1).id);
    } finally {
      await Promise.all([producer.close(), consumer.close()]);
    }
  });
});
