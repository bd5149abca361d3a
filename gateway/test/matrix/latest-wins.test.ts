// LatestWins: per key one update in flight and one waiting; a newer update replaces the waiting one;
// under overload only sheddable updates of idle keys are dropped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatestWins } from '../../src/matrix/latest-wins.ts';

/** A send that stays in flight until its test lets it finish (or fail). */
function gate() {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { done, finish, fail };
}

const tick = () => new Promise((r) => setImmediate(r));

test('the updates of one key go out one at a time, and only the newest of those waiting is sent', async () => {
  const latest = new LatestWins();
  const sent: string[] = [];
  const first = gate();
  const run = (label: string, wait?: Promise<void>) =>
    latest.run('typing !room', async () => {
      sent.push(label);
      await wait;
    });

  const start = run('start', first.done);
  const refresh = run('refresh');
  const stop = run('stop');
  await tick();
  assert.deepEqual(sent, ['start'], 'nothing else is sent while the first is in flight');
  assert.equal(await refresh, 'superseded', 'the replaced update resolves without being sent');
  first.finish();
  assert.deepEqual(await Promise.all([start, stop]), ['sent', 'sent']);
  assert.deepEqual(sent, ['start', 'stop'], 'the newest state goes out last');
  assert.equal(latest.inFlight, 0, 'nothing is kept for a key once it is idle');
});

test('keys do not wait for each other', async () => {
  const latest = new LatestWins();
  const held = gate();
  const sent: string[] = [];
  const a = latest.run('room a', async () => {
    sent.push('a');
    await held.done;
  });
  await latest.run('room b', async () => {
    sent.push('b');
  });
  assert.deepEqual(sent, ['a', 'b']);
  assert.equal(latest.inFlight, 1);
  held.finish();
  await a;
});

test('at the limit of keys in flight, a sheddable update of an idle key is dropped; the others still go', async () => {
  const latest = new LatestWins(2);
  const held = gate();
  const sent: string[] = [];
  const send = (label: string) => async () => {
    sent.push(label);
    await held.done;
  };
  const busy = [latest.run('a', send('a start'), true), latest.run('b', send('b start'), true)];
  assert.equal(await latest.run('c', send('c start'), true), 'dropped');
  const cStop = latest.run('c', send('c stop'), false); // not sheddable: sent despite the load
  const aStop = latest.run('a', send('a stop'), true); // a key in flight: waits, never dropped
  await tick();
  assert.deepEqual(sent, ['a start', 'b start', 'c stop']);
  held.finish();
  assert.deepEqual(await Promise.all([...busy, cStop, aStop]), ['sent', 'sent', 'sent', 'sent']);
  assert.deepEqual(sent, ['a start', 'b start', 'c stop', 'a stop']);
  assert.equal(latest.inFlight, 0);
});

test('a failed update rejects its own caller and does not hold back the next one', async () => {
  const latest = new LatestWins();
  const held = gate();
  const failed = latest.run('k', () => held.done);
  let nextSent = false;
  const next = latest.run('k', async () => {
    nextSent = true;
  });
  held.fail(new Error('homeserver down'));
  await assert.rejects(failed, /homeserver down/);
  assert.equal(await next, 'sent');
  assert.equal(nextSent, true);
  assert.equal(latest.inFlight, 0);
});

test('a send that throws before it awaits is reported the same way', async () => {
  const latest = new LatestWins();
  await assert.rejects(
    latest.run('k', () => {
      throw new Error('bad request');
    }),
    /bad request/,
  );
  assert.equal(await latest.run('k', async () => {}), 'sent');
  assert.equal(latest.inFlight, 0);
});
