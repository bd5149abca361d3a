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

/** Runs the scheduler for `steps` ticks of `stepMs`, every target asking for an edit before each tick. */
function drive(
  scheduler: EditScheduler,
  targets: EditTarget[],
  clock: { now: number },
  steps: number,
  stepMs = 10,
): void {
  for (let step = 0; step < steps; step++) {
    for (const t of targets) scheduler.request(t);
    scheduler.tick();
    clock.now += stepMs;
  }
}

describe('edit scheduler', () => {
  test('shares the budget fairly among streams and respects the per-reply interval', () => {
    const clock = { now: 10_000 };
    const scheduler = new EditScheduler({ budgetPerSecond: 10, intervalMs: 1000, now: () => clock.now });
    const log: string[] = [];
    const targets = Array.from({ length: 30 }, (_, i) => target(`r${i}`, log, clock));
    // Every reply always has new text: 30 streams want an edit each second; the budget is 10/s.
    drive(scheduler, targets, clock, 300);
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
    drive(scheduler, [t], clock, 500);
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

  test('the debt of first posts and final edits is bounded: intermediate edits resume soon after a burst', () => {
    const clock = { now: 0 };
    const scheduler = new EditScheduler({ budgetPerSecond: 10, intervalMs: 100, now: () => clock.now });
    const log: string[] = [];
    // A burst of 1,000 replies starting or ending at once: all are sent (never held back)...
    for (let i = 0; i < 1000; i++) scheduler.chargeMandatory();
    // ...but the budget owes at most one second of it.
    assert.equal(scheduler.available, -10);
    const t = target('after-burst', log, clock);
    t.lastEditAt = -1000;
    scheduler.request(t);
    for (let step = 0; step < 100; step++) {
      scheduler.tick();
      clock.now += 10;
    }
    assert.equal(log.length, 0, 'paying the debt back for a second');
    for (let step = 0; step < 50; step++) {
      scheduler.tick();
      clock.now += 10;
    }
    assert.equal(log.length, 1, 'the intermediate edit went out about 1.1 s after the burst');
    scheduler.close();
  });

  test('intermediate edits alone never exceed the budget, however many streams want one', () => {
    const clock = { now: 0 };
    const scheduler = new EditScheduler({ budgetPerSecond: 50, intervalMs: 1000, now: () => clock.now });
    const log: string[] = [];
    const targets = Array.from({ length: 10_000 }, (_, i) => target(`r${i}`, log, clock));
    const perSecond: number[] = [];
    for (let second = 0; second < 10; second++) {
      const before = log.length;
      drive(scheduler, targets, clock, 50, 20);
      perSecond.push(log.length - before);
    }
    scheduler.close();
    // Within budget·T plus the burst (one second of budget) saved up before.
    const total = perSecond.reduce((a, b) => a + b, 0);
    assert.ok(total <= 50 * 10 + 50, `per second: ${perSecond.join(',')}`);
    for (const n of perSecond) assert.ok(n <= 100, `per second: ${perSecond.join(',')}`);
    assert.ok(
      perSecond.slice(2).every((n) => n <= 51),
      `per second: ${perSecond.join(',')}`,
    );
    // Least recently served first: 500 edits went to 500 different replies.
    assert.equal(new Set(log).size, log.length);
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

  test('a new share of the budget applies from then on; savings beyond one second of it are dropped', () => {
    const clock = { now: 0 };
    const scheduler = new EditScheduler({ budgetPerSecond: 100, intervalMs: 1, now: () => clock.now });
    assert.equal(scheduler.available, 100);
    scheduler.setBudgetPerSecond(4);
    assert.equal(scheduler.budgetPerSecond, 4);
    assert.equal(scheduler.available, 4, 'saved tokens capped at one second of the new share');
    const log: string[] = [];
    const targets = Array.from({ length: 50 }, (_, i) => target(`r${i}`, log, clock));
    drive(scheduler, targets, clock, 200);
    // 2 s at 4/s after the 4 saved.
    assert.ok(log.length >= 11 && log.length <= 13, `${log.length} edits in 2 s at 4/s`);
    scheduler.setBudgetPerSecond(0);
    const before = log.length;
    drive(scheduler, targets, clock, 200);
    assert.ok(log.length - before <= 1, 'a zero share: no intermediate edits');
    assert.throws(
      () => scheduler.setBudgetPerSecond(Number.NaN),
      /edit budget must be a number >= 0, got NaN/,
    );
    assert.throws(() => scheduler.setBudgetPerSecond(-1), /got -1/);
    scheduler.close();
  });
});
