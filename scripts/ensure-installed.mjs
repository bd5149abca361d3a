#!/usr/bin/env node
// Runs `npm install` when node_modules is missing or older than the manifests, so that
// `npm start`, `npm test` and `npm run bench` work on a fresh clone with no other step.
// Plain JS on purpose: it runs before any dependency (tsx included) exists.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stampPath = join(root, 'node_modules', '.clawchat-install-stamp');

function manifestHash() {
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const files = [
    'package.json',
    'package-lock.json',
    ...rootManifest.workspaces.map((w) => `${w}/package.json`),
  ];
  const hash = createHash('sha256');
  for (const file of files) {
    const path = join(root, file);
    hash.update(file);
    hash.update(existsSync(path) ? readFileSync(path) : 'missing');
  }
  return hash.digest('hex');
}

const wanted = manifestHash();
const current = existsSync(stampPath) ? readFileSync(stampPath, 'utf8').trim() : '';
if (current !== wanted) {
  console.log('[clawchat] installing dependencies (npm install)…');
  const result = spawnSync('npm', ['install', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error('[clawchat] npm install failed; see the output above.');
    process.exit(result.status ?? 1);
  }
  // npm install may rewrite package-lock.json: hash again after it.
  writeFileSync(stampPath, `${manifestHash()}\n`);
}
