#!/usr/bin/env node
// Builds the web app (`expo export --platform web`), skipping the work when neither the app's
// sources nor its EXPO_PUBLIC_* settings changed since the last export into the same folder.
//   node scripts/build-web.mjs [--out dist] [--force]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = resolve(appDir, '..');
const STAMP = '.clawchat-build-hash';

const SOURCES = [
  join(appDir, 'app'),
  join(appDir, 'components'),
  join(appDir, 'lib'),
  join(appDir, 'app.json'),
  join(appDir, 'babel.config.js'),
  join(appDir, 'package.json'),
  join(repoDir, 'common', 'src'),
  join(repoDir, 'package-lock.json'),
];

function* files(path) {
  if (!existsSync(path)) return;
  if (statSync(path).isFile()) {
    yield path;
    return;
  }
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === '__tests__') continue;
    yield* files(join(path, entry.name));
  }
}

/** A hash of everything the bundle is made from: sources and the public settings. */
export function sourceHash(env = process.env) {
  const hash = createHash('sha256');
  for (const source of SOURCES) {
    for (const file of files(source)) {
      hash.update(relative(repoDir, file));
      hash.update(readFileSync(file));
    }
  }
  const settings = Object.keys(env)
    .filter((key) => key.startsWith('EXPO_PUBLIC_'))
    .sort()
    .map((key) => `${key}=${env[key]}`);
  hash.update(settings.join('\n'));
  return hash.digest('hex');
}

/** Exports the web app into outDir unless it is already up to date; resolves whether it built. */
export async function buildWeb({
  outDir = join(appDir, 'dist'),
  env = process.env,
  force = false,
  quiet = false,
} = {}) {
  const out = resolve(appDir, outDir);
  const wanted = sourceHash(env);
  const stampPath = join(out, STAMP);
  if (!force && existsSync(stampPath) && readFileSync(stampPath, 'utf8').trim() === wanted) {
    if (!quiet) console.log(`[app] web build is up to date (${relative(process.cwd(), out) || '.'})`);
    return false;
  }
  if (!quiet) console.log(`[app] building the web app into ${relative(process.cwd(), out) || '.'} …`);
  await new Promise((resolvePromise, reject) => {
    const child = spawn('npx', ['expo', 'export', '--platform', 'web', '--output-dir', out, '--clear'], {
      cwd: appDir,
      env: { ...env, CI: '1', EXPO_NO_TELEMETRY: '1' },
      stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolvePromise()
        : reject(new Error(`expo export failed (exit ${code})\n${output.slice(-4000)}`)),
    );
  });
  writeFileSync(stampPath, `${wanted}\n`);
  return true;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const outDir = outIndex >= 0 ? args[outIndex + 1] : undefined;
  buildWeb({ outDir, force: args.includes('--force') }).catch((error) => {
    console.error(error.message ?? error);
    process.exit(1);
  });
}
