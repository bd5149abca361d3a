// The packages only some set-ups need (a vendor's SDK, ioredis) are imported by the set-ups that need
// them, when they start: each costs 0.1 to 0.25 s of start and its memory. Checked in fresh processes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { deletePrefix, REDIS_URL, uniquePrefix } from './state/redis-helpers.ts';

const run = promisify(execFile);
const whichImports = fileURLToPath(new URL('./fixtures/optional-imports/which-imports.ts', import.meta.url));

/** The optional packages a fresh process imports for one part, before and after its start. */
async function imported(...args: string[]) {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', whichImports, ...args], {
    timeout: 30_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { before: string[]; after: string[] };
}

test('a provider imports its vendor SDK at load(), not when built, and no other optional package', async () => {
  assert.deepEqual(await imported('provider', 'local', 'anthropic'), {
    before: [],
    after: ['@anthropic-ai/sdk'],
  });
  assert.deepEqual(await imported('provider', 'local', 'openai'), { before: [], after: ['openai'] });
  assert.deepEqual(await imported('provider', 'local', 'demo'), { before: [], after: [] });
});

test('with stream threads, the main thread imports no vendor SDK (the threads do)', async () => {
  assert.deepEqual(await imported('provider', 'threaded', 'anthropic'), { before: [], after: [] });
});

test('the embedded state backend never imports ioredis; the Redis one does when it starts', async () => {
  assert.deepEqual(await imported('state', 'memory'), { before: [], after: [] });
  const prefix = uniquePrefix();
  try {
    assert.deepEqual(await imported('state', 'redis', REDIS_URL, prefix), { before: [], after: ['ioredis'] });
  } finally {
    await deletePrefix(prefix);
  }
});
