// A test file run on its own starts its own homeserver (getTestHomeserver without `test-run`): its
// Synapse and its /tmp/clawchat-test-run-* folder go with the process; the folder is kept when the
// process fails, for Synapse's log.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { STATE_ENV } from '../src/harness/run.ts';
import { packageDir } from '../src/paths.ts';

interface OwnRun {
  child: ChildProcess;
  /** The run's folder, once the child has its homeserver. */
  dir: Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
}

function ownRun(mode: 'pass' | 'fail' | 'wait'): OwnRun {
  const env = { ...process.env };
  delete env[STATE_ENV]; // under `npm test` the run's homeserver would be attached to instead
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(packageDir, 'test/fixtures/own-run-child.ts'), mode],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const dir = new Promise<string>((resolvePromise, reject) => {
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const match = /^STATE (\S+) 200$/m.exec(output);
      if (match) resolvePromise(dirname(match[1]!));
    });
    child.once('exit', () => reject(new Error(`no homeserver:\n${output}`)));
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>(
    (resolvePromise) => child.once('exit', (code, signal) => resolvePromise({ code, signal, output })),
  );
  return { child, dir, exit };
}

describe('a test process with its own homeserver', () => {
  test('removes the run folder when it ends', async () => {
    const run = ownRun('pass');
    const dir = await run.dir;
    assert.match(dir, /clawchat-test-run-/);
    const { code, output } = await run.exit;
    assert.equal(code, 0, output);
    assert.equal(existsSync(dir), false, `${dir} is left behind`);
  });

  test('removes it when a signal ends the process', async () => {
    const run = ownRun('wait');
    const dir = await run.dir;
    assert.ok(existsSync(dir));
    run.child.kill('SIGTERM');
    const { code, output } = await run.exit;
    assert.equal(code, 128 + 15, output);
    assert.equal(existsSync(dir), false, `${dir} is left behind`);
  });

  test('keeps it, and says where, when the process fails', async () => {
    const run = ownRun('fail');
    const dir = await run.dir;
    try {
      const { code, output } = await run.exit;
      assert.equal(code, 1, output);
      assert.ok(existsSync(join(dir, 'state.json')), 'the run folder is kept');
      assert.ok(output.includes(`the homeserver's files are kept in ${dir}`), output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
