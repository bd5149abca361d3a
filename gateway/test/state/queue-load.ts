// Load check of both work queues with 10,000 rooms in flight (not part of `npm test`).
// Run from gateway/: npx tsx test/state/queue-load.ts [rooms=10000] [consumers=1000]
import { Redis } from 'ioredis';
import { createStateBackend } from '../../src/state/index.ts';
import type { LeasedJob, StateBackend } from '../../src/state/types.ts';
import { deletePrefix, REDIS_URL, uniquePrefix } from './redis-helpers.ts';
import { job } from './state.suite.ts';

const ROOMS = Number(process.argv[2] ?? 10_000);
const CONSUMERS = Number(process.argv[3] ?? 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function timed<T>(label: string, ops: number, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await fn();
  const ms = performance.now() - start;
  console.log(`  ${label}: ${ops} ops in ${ms.toFixed(0)} ms (${Math.round((ops / ms) * 1000)}/s)`);
  return result;
}

async function inBatches<T>(count: number, batch: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += batch) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(batch, count - i) }, (_, j) => fn(i + j)))));
  }
  return out;
}

async function latency(label: string, n: number, fn: () => Promise<unknown>): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!.toFixed(2);
  console.log(`  ${label}: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`);
}

/** Top-level calls of the commands a waiting consumer may cause (scripts and the listener's BLMPOP). */
async function queueCalls(redis: Redis): Promise<{ scripts: number; blmpop: number }> {
  const info = await redis.info('commandstats');
  const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return { scripts: calls('evalsha') + calls('eval'), blmpop: calls('blmpop') };
}

async function run(kind: 'memory' | 'redis'): Promise<void> {
  const prefix = uniquePrefix();
  const backend: StateBackend = await createStateBackend({
    ...(kind === 'redis' ? { redisUrl: REDIS_URL } : {}),
    keyPrefix: prefix,
    leaseMs: 120_000,
    rateLimit: { capacity: 10, refillPerSecond: 1 },
  });
  const { queue } = backend;
  const probe = kind === 'redis' ? new Redis(REDIS_URL) : undefined;
  console.log(`${kind}: ${ROOMS} rooms, ${CONSUMERS} concurrent consumers`);
  try {
    await latency('take on an empty queue', 300, () => queue.take('probe', 0));
    await timed('enqueue (2 jobs per room)', ROOMS * 2, () =>
      inBatches(ROOMS * 2, 500, (i) => queue.enqueue(job(`!r${i % ROOMS}`, i < ROOMS ? 1 : 2))),
    );
    const leases = await timed('take until every room has its job in flight', ROOMS, async () => {
      const all: LeasedJob[] = [];
      await Promise.all(
        Array.from({ length: CONSUMERS }, async (_, c) => {
          for (;;) {
            const leased = await queue.take(`c${c}`, 0);
            if (!leased) return;
            all.push(leased);
          }
        }),
      );
      return all;
    });
    if (leases.length !== ROOMS) throw new Error(`expected ${ROOMS} leases, got ${leases.length}`);
    console.log(`  in flight: ${leases.length} rooms, depth ${await queue.depth()}`);
    await latency(`take with ${ROOMS} leases out (nothing ready)`, 300, () => queue.take('probe', 0));
    await latency(`enqueue + take + complete with ${ROOMS} leases out`, 300, async () => {
      const id = Math.random().toString(36);
      await queue.enqueue(job(`!probe${id}`, 1));
      const leased = await queue.take('probe', 1000);
      await leased!.complete();
    });
    await timed('renew every lease', ROOMS, () => inBatches(ROOMS, 1000, (i) => leases[i]!.renew()));

    // Idle cost: every consumer blocked in take() while all rooms are busy.
    const before = probe ? await queueCalls(probe) : undefined;
    const idleMs = 3000;
    const blocked = await Promise.all(
      Array.from({ length: CONSUMERS }, (_, c) => queue.take(`c${c}`, idleMs)),
    );
    if (blocked.some((l) => l !== null)) throw new Error('a blocked take returned a job');
    if (probe && before) {
      const after = await queueCalls(probe);
      console.log(
        `  ${CONSUMERS} consumers blocked ${idleMs} ms: ${after.scripts - before.scripts} script calls ` +
          `(${CONSUMERS} initial TAKEs + sweeps), ${after.blmpop - before.blmpop} BLMPOP`,
      );
    }

    // Wake-up path: consumers block, completions make the second jobs ready one by one.
    let served = 0;
    const start = performance.now();
    const consumers = Array.from({ length: CONSUMERS }, async (_, c) => {
      while (served < ROOMS) {
        const leased = await queue.take(`c${c}`, 500);
        if (!leased) continue;
        served++;
        await leased.complete();
      }
    });
    await sleep(100); // let them block first
    await inBatches(ROOMS, 500, (i) => leases[i]!.complete());
    await Promise.all(consumers);
    const ms = performance.now() - start - 100;
    console.log(
      `  blocked consumers woken for ${ROOMS} second jobs: ${ms.toFixed(0)} ms (${Math.round((ROOMS / ms) * 1000)}/s)`,
    );
    console.log(`  depth at the end: ${await queue.depth()}`);
  } finally {
    await backend.close();
    probe?.disconnect();
    if (kind === 'redis') await deletePrefix(prefix);
  }
}

await run('memory');
await run('redis');
