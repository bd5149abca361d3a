import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createStateBackend } from '../../src/state/index.ts';
import { TtlLru } from '../../src/state/memory/ttl-lru.ts';
import { SAFE_LEASE_MS, stateSuite } from './state.suite.ts';

const base = { leaseMs: SAFE_LEASE_MS, rateLimit: { capacity: 5, refillPerSecond: 1 } };

stateSuite('memory', (overrides = {}) => createStateBackend({ ...base, ...overrides }));

// The same behaviour with the queue journaled (each backend on a journal file of its own).
const journals = mkdtempSync(join(tmpdir(), 'clawchat-journal-suite-'));
after(() => rmSync(journals, { recursive: true, force: true }));
let journalCount = 0;
stateSuite('memory with a queue journal', (overrides = {}) =>
  createStateBackend({ ...base, journalPath: join(journals, `queue-${++journalCount}.jsonl`), ...overrides }),
);

test('memory: no Redis URL (absent or empty) gives the in-process backend', async () => {
  for (const options of [base, { ...base, redisUrl: '' }]) {
    const backend = await createStateBackend(options);
    assert.equal(backend.kind, 'memory');
    await backend.close();
  }
});

test('memory: bad options name what is wrong', async () => {
  await assert.rejects(createStateBackend({ ...base, leaseMs: -1 }), /leaseMs/);
  await assert.rejects(
    createStateBackend({ ...base, rateLimit: { capacity: 0, refillPerSecond: 1 } }),
    /rateLimit\.capacity/,
  );
  await assert.rejects(
    createStateBackend({ ...base, redisUrl: 'http://x' }),
    /redisUrl: must be a redis:\/\//,
  );
});

test('memory: the history of least recently used rooms is forgotten past maxRooms', async () => {
  const backend = await createStateBackend({ ...base, maxRooms: 3 });
  for (const room of ['!1', '!2', '!3']) await backend.store.setHistory(room, []);
  await backend.store.getHistory('!1'); // recently used
  await backend.store.setHistory('!4', []);
  assert.equal(await backend.store.getHistory('!2'), null);
  assert.deepEqual(await backend.store.getHistory('!1'), []);
  await backend.close();
});

test('TtlLru: entries expire and size stays bounded', async () => {
  const lru = new TtlLru<number>(2, 30);
  lru.set('a', 1);
  lru.set('b', 2);
  lru.set('c', 3);
  assert.equal(lru.size, 2);
  assert.equal(lru.get('a'), undefined);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(lru.get('b'), undefined);
});
