// The global edit budget, on a manual clock: at most `budget` edits per second in all, at most one per
// interval per reply, handed out in turn.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EditScheduler, type EditTarget } from '../src/conversation/edit-scheduler.ts';

function target(name: string, log: string[], clock: { now: number }): EditTarget {
  const t: EditTarget = {
    lastEditAt: 0,
    busy: false,
    grant() {
      log.push(name);
      t.lastEditAt = clock.now;
    },
  };
  return t;
}

describe('edit scheduler', () => {
  test('shares the budget fairly among streams and respects the per-reply interval', () => {
    const clock = { now: 10_000 };
    const scheduler = new EditScheduler({ budgetPerSecond: 10, intervalMs: 1000, now: () => clock.now });
    const log: string[] = [];
    const targets = Array.from({ length: 30 }, (_, i) => target(`r${i}`, log, clock));
    // Every reply always has new text: 30 streams want an edit each second; the budget is 10/s.
    for (let step = 0; step < 300; step++) {
      for (const t of targets) scheduler.request(t);
      scheduler.tick();
      clock.now += 10;
    }
    scheduler.close();
    // 3 seconds: the initial burst (10) plus 10 per second.
    assert.ok(log.length <= 10 + 30 + 1, `${log.length} edits in 3 s`);
    assert.ok(log.length >= 35, `${log.length} edits in 3 s`);
    const counts = targets.map((_, i) => log.filter((name) => name === `r${i}`).length);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `fair: ${counts.join(',')}`);
  });

  test('one stream alone gets one edit per interval, not more', () => {
    const clock = { now: 0 };
    const scheduler = new EditScheduler({ budgetPerSecond: 1000, intervalMs: 1000, now: () => clock.now });
    const log: string[] = [];
    const t = target('solo', log, clock);
    t.lastEditAt = 0;
    for (let step = 0; step < 500; step++) {
      scheduler.request(t);
      scheduler.tick();
      clock.now += 10;
    }
    scheduler.close();
    assert.equal(log.length, 4); // at 1 s, 2 s, 3 s, 4 s
  });

  test('mandatory sends (first posts, final edits) use the budget up first', () => {
    const clock = { now: 0 };
    const scheduler = new EditScheduler({ budgetPerSecond: 5, intervalMs: 100, now: () => clock.now });
    const log: string[] = [];
    for (let i = 0; i < 20; i++) scheduler.chargeMandatory();
    const t = target('late', log, clock);
    t.lastEditAt = -1000;
    scheduler.request(t);
    scheduler.tick();
    assert.equal(log.length, 0, 'no budget left for intermediate edits');
    clock.now += 4000; // 20 more tokens: the debt is paid back
    scheduler.tick();
    clock.now += 1000;
    scheduler.tick();
    assert.equal(log.length, 1);
    scheduler.close();
  });

  test('a busy reply is skipped until its send is done', () => {
    const clock = { now: 5000 };
    const scheduler = new EditScheduler({ budgetPerSecond: 100, intervalMs: 100, now: () => clock.now });
    const log: string[] = [];
    let busy = true;
    const t: EditTarget = {
      lastEditAt: 0,
      get busy() {
        return busy;
      },
      grant: () => log.push('x'),
    };
    scheduler.request(t);
    scheduler.tick();
    assert.equal(log.length, 0);
    busy = false;
    scheduler.tick();
    assert.equal(log.length, 1);
    scheduler.close();
  });
});
