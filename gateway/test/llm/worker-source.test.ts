// From the sources, the stream thread's code is a bundle of stream-worker.ts in node_modules/.cache:
// named by its content, written whole, written again when removed, and old ones cleared away.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { streamWorkerUrl } from '../../src/llm/threads/worker-source.ts';

const gatewayDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('the sources bundle: content-named in node_modules/.cache, npm packages left out, rewritten, stale ones removed', () => {
  const path = fileURLToPath(streamWorkerUrl());
  const cacheDir = join(gatewayDir, 'node_modules', '.cache', 'clawchat-stream-worker');
  assert.equal(dirname(path), cacheDir);
  assert.match(path, /llm-stream-worker-[0-9a-f]{16}\.mjs$/);
  const code = readFileSync(path, 'utf8');
  // The gateway's own modules are in it; undici and the SDKs (when a provider loads one) are imported
  // from node_modules.
  assert.match(code, /src\/llm\/threads\/stream-worker\.ts/);
  assert.match(code, /import\("@anthropic-ai\/sdk"\)/);
  assert.match(code, /import\("openai"\)/);
  assert.match(code, /from "undici"/);
  assert.equal(fileURLToPath(streamWorkerUrl()), path, 'the same bundle for the same sources');

  // Another process's bundle, unused for two days, and one used an hour ago.
  const stale = join(cacheDir, 'llm-stream-worker-0000000000000000.mjs');
  const recent = join(cacheDir, 'llm-stream-worker-1111111111111111.mjs');
  writeFileSync(stale, '// old');
  writeFileSync(recent, '// recent');
  const twoDaysAgo = new Date(Date.now() - 48 * 3600_000);
  const anHourAgo = new Date(Date.now() - 3600_000);
  utimesSync(stale, twoDaysAgo, twoDaysAgo);
  utimesSync(recent, anHourAgo, anHourAgo);
  try {
    rmSync(path);
    assert.equal(fileURLToPath(streamWorkerUrl()), path);
    assert.equal(readFileSync(path, 'utf8'), code, 'written again, whole');
    assert.equal(existsSync(stale), false, 'a bundle unused for a day is removed');
    assert.equal(existsSync(recent), true, 'a recently used one is kept');
    assert.deepEqual(
      readdirSync(cacheDir).filter((name) => name.endsWith('.partial')),
      [],
      'no partial file left',
    );
  } finally {
    rmSync(stale, { force: true });
    rmSync(recent, { force: true });
  }
});
