#!/usr/bin/env node
// Runs a command with the test run's one Synapse: attaches to the run's homeserver when there is one
// (the root `npm test`), else starts one for this command alone (`npm test -w app`), so that the
// integration and browser test files share a homeserver instead of each starting their own.
//   node scripts/with-test-homeserver.mjs -- <command> [args...]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const STATE_ENV = 'CLAWCHAT_TEST_HOMESERVER';
const args = process.argv.slice(2);
const command = args[0] === '--' ? args.slice(1) : args;
if (command.length === 0) {
  console.error('usage: with-test-homeserver.mjs -- <command> [args...]');
  process.exit(2);
}

/** The local-synapse CLI from the nearest node_modules/.bin (npm adds it to PATH; a plain shell does not). */
function synapseCli() {
  let dir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  for (;;) {
    const bin = join(dir, 'node_modules', '.bin', 'clawchat-synapse');
    if (existsSync(bin)) return bin;
    const parent = dirname(dir);
    if (parent === dir) return 'clawchat-synapse';
    dir = parent;
  }
}

const [file, ...rest] = process.env[STATE_ENV] ? command : [synapseCli(), 'test-run', '--', ...command];
const child = spawn(file, rest, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
