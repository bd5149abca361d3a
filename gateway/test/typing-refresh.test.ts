// When a typing notification is refreshed: late enough to save requests, early enough not to lapse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { typingRefreshAfterMs } from '../src/conversation/active-jobs.ts';

test('typing is refreshed 5 s before it would lapse, or at half a short timeout', () => {
  assert.equal(typingRefreshAfterMs(30_000), 25_000);
  assert.equal(typingRefreshAfterMs(120_000), 115_000);
  assert.equal(typingRefreshAfterMs(10_000), 5_000);
  assert.equal(typingRefreshAfterMs(4_000), 2_000);
});
