// When a typing notification is refreshed (late enough to save requests, early enough not to lapse),
// and what follows a start that the homeserver never got (shed under overload).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActiveJobs, SHED_TYPING_RETRY_MS, typingRefreshAfterMs } from '../src/conversation/active-jobs.ts';
import type { MatrixClientApi } from '../src/matrix/client-api.ts';
import { createLogger } from '../src/observability/logger.ts';
import type { LeasedJob, StopSignals } from '../src/state/types.ts';

test('typing is refreshed 5 s before it would lapse, or at half a short timeout', () => {
  assert.equal(typingRefreshAfterMs(30_000), 25_000);
  assert.equal(typingRefreshAfterMs(120_000), 115_000);
  assert.equal(typingRefreshAfterMs(10_000), 5_000);
  assert.equal(typingRefreshAfterMs(4_000), 2_000);
});

/** ActiveJobs over a recording api whose typing calls get through or not, as `delivered` says. */
function activeJobs(delivered: () => boolean) {
  const calls: boolean[] = [];
  const api = {
    setTyping: async (_room: string, _user: string, typing: boolean) => {
      calls.push(typing);
      return delivered();
    },
  } as unknown as MatrixClientApi;
  const stops = { consumeStops: async () => [] } as unknown as StopSignals;
  const jobs = new ActiveJobs({
    api,
    stops,
    botUserId: '@bot:test',
    leaseMs: 600_000,
    typingTimeoutMs: 30_000,
    stopPollMs: 1_000,
    log: createLogger('silent'),
  });
  const leased = {
    job: { id: '$e', roomId: '!room:test', sender: '@u:test', kind: 'reply', event: {}, enqueuedAt: 0 },
    attempt: 1,
    renew: async () => true,
    complete: async () => {},
    release: async () => {},
  } as unknown as LeasedJob;
  return { jobs, job: jobs.add(leased), calls };
}

test('a start the homeserver got is ended with a stop', async () => {
  const { jobs, job, calls } = activeJobs(() => true);
  await jobs.setTyping(job, true);
  await jobs.setTyping(job, false);
  assert.deepEqual(calls, [true, false]);
  jobs.close();
});

test('a start that was shed gets no stop, and is tried again soon rather than at the refresh', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
  let deliver = false;
  const { jobs, job, calls } = activeJobs(() => deliver);
  await jobs.setTyping(job, true);
  assert.equal(job.typingShown, false);
  deliver = true;
  t.mock.timers.tick(SHED_TYPING_RETRY_MS);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls, [true, true], 'tried again after the short retry, not 25 s later');
  assert.equal(job.typingShown, true);
  await jobs.setTyping(job, false);
  assert.deepEqual(calls, [true, true, false]);

  const { jobs: other, job: shed, calls: otherCalls } = activeJobs(() => false);
  await other.setTyping(shed, true);
  await other.setTyping(shed, false);
  assert.deepEqual(otherCalls, [true], 'nothing to stop when no start got through');
  jobs.close();
  other.close();
});
