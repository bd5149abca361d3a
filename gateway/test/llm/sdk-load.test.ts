import assert from 'node:assert/strict';
import { test } from 'node:test';
import { once } from '../../src/llm/sdk-load.ts';

test('once: made on the first call only, shared by callers at the same time, a failure kept', async () => {
  let made = 0;
  const get = once(async () => ++made);
  const [a, b] = await Promise.all([get(), get()]);
  assert.deepEqual([a, b, await get(), made], [1, 1, 1, 1]);
  let tries = 0;
  const broken = once(async () => {
    tries++;
    throw new Error('no such package');
  });
  await assert.rejects(broken(), /no such package/);
  await assert.rejects(broken(), /no such package/);
  assert.equal(tries, 1);
});
