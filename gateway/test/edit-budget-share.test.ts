// The deployment's edit budget shared among gateway processes: each takes a part in proportion to the
// replies it streams, the parts add up to the budget, a process that leaves gives its part back, and a
// state backend that fails leaves the last share standing. (The Redis and in-process stores behind it
// are held to one contract in test/state/state.suite.ts.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EditBudgetShare, shareOf } from '../src/conversation/edit-budget-share.ts';
import { createLogger } from '../src/observability/logger.ts';
import { MemoryEditBudgetShares } from '../src/state/memory/index.ts';
import type { EditBudgetShares } from '../src/state/types.ts';

function capturingLog() {
  const lines: { level: number; msg: string }[] = [];
  const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

function processOn(shares: EditBudgetShares, processId: string, streams: { n: number }, budget = 100) {
  const applied: number[] = [];
  const share = new EditBudgetShare({
    shares,
    processId,
    budgetPerSecond: budget,
    streams: () => streams.n,
    apply: (perSecond) => applied.push(perSecond),
    log: capturingLog().log,
  });
  return { share, applied, last: () => applied.at(-1) };
}

const close = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) < 1e-9;

describe('edit budget share', () => {
  test('the parts follow the streams and always add up to the budget', () => {
    assert.equal(shareOf(50, 0, { processes: 0, streams: 0 }), 50, 'alone: the whole budget');
    assert.equal(shareOf(50, 4000, { processes: 0, streams: 0 }), 50);
    const counts = [300, 100, 0, 0];
    const parts = counts.map((mine, i) => {
      const others = counts.filter((_, j) => j !== i);
      return shareOf(100, mine, { processes: others.length, streams: others.reduce((a, b) => a + b, 0) });
    });
    assert.ok(
      close(
        parts.reduce((a, b) => a + b, 0),
        100,
      ),
      `parts ${parts.join(', ')} add up to 100`,
    );
    assert.ok(parts[0]! > 2.9 * parts[1]! && parts[0]! < 3 * parts[1]!, 'about in proportion to the streams');
    assert.ok(
      parts[2]! > 0 && parts[2] === parts[3],
      'an idle process keeps a small part for its next reply',
    );
  });

  test('two processes on one store: shares by streams; one leaves, the other takes the whole', async () => {
    const store = new MemoryEditBudgetShares();
    const aStreams = { n: 30 };
    const bStreams = { n: 10 };
    const a = processOn(store, 'a', aStreams);
    const b = processOn(store, 'b', bStreams);
    await a.share.refresh();
    assert.equal(a.last(), 100, 'alone so far');
    await b.share.refresh();
    await a.share.refresh();
    assert.ok(close(a.last(), (100 * 31) / 42), `a: ${a.last()}`);
    assert.ok(close(b.last(), (100 * 11) / 42), `b: ${b.last()}`);
    aStreams.n = 0;
    bStreams.n = 0;
    await a.share.refresh();
    await b.share.refresh();
    await a.share.refresh(); // now with b's new count
    assert.equal(a.last(), 50, 'idle: half each');
    assert.equal(b.last(), 50);
    await b.share.stop();
    await a.share.refresh();
    assert.equal(a.last(), 100, 'the process that left gave its part back');
    const applied = b.applied.length;
    await b.share.refresh();
    assert.equal(b.applied.length, applied, 'a stopped share reports no more');
    await a.share.stop();
  });

  test('while the state backend fails, the last share stands, with one warning', async () => {
    const store = new MemoryEditBudgetShares();
    let down = false;
    const flaky: EditBudgetShares = {
      report: (...args) => (down ? Promise.reject(new Error('connection lost')) : store.report(...args)),
      leave: (id) => store.leave(id),
    };
    await store.report('other', 98, 60_000); // with this idle one: 100 × 1 / (98 + 2)
    const { log, lines } = capturingLog();
    const applied: number[] = [];
    const share = new EditBudgetShare({
      shares: flaky,
      processId: 'me',
      budgetPerSecond: 100,
      streams: () => 0,
      apply: (n) => applied.push(n),
      log,
    });
    await share.refresh();
    assert.deepEqual(applied, [1]);
    down = true;
    await share.refresh();
    await share.refresh();
    assert.deepEqual(applied, [1], 'nothing applied while failing');
    await new Promise((resolve) => setImmediate(resolve));
    const warnings = lines.filter((l) => l.level === 40);
    assert.equal(warnings.length, 1, 'one warning, not one per refresh');
    assert.match(warnings[0]!.msg, /edit budget share.*last share stands/);
    down = false;
    await store.leave('other');
    await share.refresh();
    assert.deepEqual(applied, [1, 100]);
    await share.stop();
  });
});
