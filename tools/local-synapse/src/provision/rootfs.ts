// Provisions Debian's matrix-synapse into a Debian root (debootstrap minbase of sid + apt), once per
// machine and Synapse series, in the cache folder. A `ready.json` marker, written last, says the root is
// complete: a root without it was interrupted and is redone; a root whose Synapse does not import is
// broken and is rebuilt. A file lock makes concurrent provisioning (two test workers) safe.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { cacheDir } from '../paths.ts';
import { debianArchiveUri } from './apt-sources.ts';
import { runInRoot } from './chroot.ts';

/** The Synapse series the project runs and is tested with (Debian sid's matrix-synapse). */
export const SYNAPSE_SERIES = '1.160';
const DEBIAN_SUITE = 'sid';

export interface ProvisionedRoot {
  root: string;
  synapseVersion: string;
  pythonVersion: string;
}

export interface ReadyMarker extends ProvisionedRoot {
  series: string;
  archive: string;
  provisionedAt: string;
}

export type CacheState =
  | { state: 'ready'; marker: ReadyMarker }
  | { state: 'missing' }
  | { state: 'interrupted'; reason: string }
  | { state: 'broken'; reason: string };

export interface ProvisionOptions {
  cache?: string;
  series?: string;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Rebuild the root even when it is ready (under the lock, like any provisioning). */
  rebuild?: boolean;
}

export function cacheEntry(cache: string, series = SYNAPSE_SERIES) {
  const dir = join(cache, `synapse-${series}`);
  return {
    dir,
    root: join(dir, 'rootfs'),
    marker: join(dir, 'ready.json'),
    lock: join(cache, `synapse-${series}`),
  };
}

export class ProvisionError extends Error {
  override name = 'ProvisionError';
}

export const WHAT_TO_DO_INSTEAD =
  'Alternatives: run the production stack with Docker Compose from server/ (see server/README.md), or point ' +
  '`npm start` at an existing homeserver with MATRIX_HOMESERVER_URL (and MATRIX_SERVER_NAME): it then starts ' +
  'no local Synapse and prints the gateway registration that homeserver must load.';

/**
 * `run`: what running the cached root needs (root, unshare, chroot); `build`: what building one needs
 * beyond that (debootstrap), so a machine with a ready cache needs no debootstrap. Says what to do
 * when something is absent.
 */
export function checkPrerequisites(purpose: 'run' | 'build'): void {
  if (purpose === 'run' && typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new ProvisionError(
      `The local Synapse needs root (it builds a Debian root with debootstrap and runs it with chroot). ${WHAT_TO_DO_INSTEAD}`,
    );
  }
  for (const tool of purpose === 'build' ? ['debootstrap'] : ['unshare', 'chroot']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      throw new ProvisionError(
        `'${tool}' is not installed. Install it with: apt-get install -y debootstrap util-linux coreutils. ${WHAT_TO_DO_INSTEAD}`,
      );
    }
  }
}

/** What the cache holds, without changing it. */
export function inspectCache(cache: string, series = SYNAPSE_SERIES): CacheState {
  const entry = cacheEntry(cache, series);
  if (!existsSync(entry.dir)) return { state: 'missing' };
  if (!existsSync(entry.marker))
    return { state: 'interrupted', reason: 'no ready.json: a provisioning was cut short' };
  let marker: ReadyMarker;
  try {
    marker = JSON.parse(readFileSync(entry.marker, 'utf8')) as ReadyMarker;
  } catch {
    return { state: 'broken', reason: 'ready.json is not valid JSON' };
  }
  for (const path of ['usr/bin/python3', 'usr/lib/python3/dist-packages/synapse/__init__.py']) {
    if (!existsSync(join(entry.root, path))) return { state: 'broken', reason: `${path} is missing` };
  }
  if (!marker.synapseVersion?.startsWith(`${series}.`)) {
    return { state: 'broken', reason: `ready.json names Synapse ${marker.synapseVersion}, not ${series}.x` };
  }
  return { state: 'ready', marker: { ...marker, root: entry.root } };
}

/** Processes whose root directory is `root` (a local Synapse, or a command run in the root). */
export function processesInRoot(root: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/root`) === root) pids.push(Number(name));
    } catch {
      // Gone, or not ours to look at.
    }
  }
  return pids;
}

/** Unmounts anything an interrupted run left mounted under the root, deepest first. */
function unmountUnder(root: string): void {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((path): path is string => !!path && (path === root || path.startsWith(`${root}/`)))
    .sort((a, b) => b.length - a.length);
  for (const path of mounts) spawnSync('umount', ['-l', path]);
}

function removeEntry(dir: string): void {
  if (!existsSync(dir)) return;
  unmountUnder(dir);
  rmSync(dir, { recursive: true, force: true });
}

function runStreaming(cmd: string, args: string[], log: (line: string) => void): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    const take = (chunk: Buffer) => {
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) log(line);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => resolvePromise(code ?? 1));
  });
}

export interface AptRun {
  code: number;
  output: string;
}

/**
 * What an `apt-get update` run means for provisioning: `expired` is a snapshot archive whose Release
 * file is past its Valid-Until (retried without that check: the packages are still verified against
 * their signatures); `not-yet-valid` is a Release file dated after this machine's clock (no apt setting
 * of ours fixes that). apt 2 prefixes the message with "E:", apt 3 with "Error:"; the text is the same.
 */
export function aptUpdateVerdict(run: AptRun): 'ok' | 'expired' | 'not-yet-valid' | 'failed' {
  if (/Release file for \S+ is expired \(/.test(run.output)) return 'expired';
  if (/Release file for \S+ is not valid yet \(/.test(run.output)) return 'not-yet-valid';
  return run.code === 0 ? 'ok' : 'failed';
}

/**
 * `apt-get update` in the Debian root, retried once without the Valid-Until check when the archive is an
 * expired snapshot. `update(allowExpired)` runs it (with allowExpired, under
 * `Acquire::Check-Valid-Until=false`); throws a ProvisionError saying why when it cannot succeed.
 */
export async function aptUpdateWithRetry(
  update: (allowExpired: boolean) => Promise<AptRun>,
  log: (line: string) => void,
): Promise<void> {
  let run = await update(false);
  let verdict = aptUpdateVerdict(run);
  if (verdict === 'expired') {
    log(
      '[synapse] the archive is a snapshot whose Release file has expired: retrying apt-get update with ' +
        'Acquire::Check-Valid-Until=false (the packages are still verified by their signatures).',
    );
    run = await update(true);
    verdict = aptUpdateVerdict(run);
    // Without the check, an expiry message can no longer be the cause of a failure.
    if (verdict === 'expired') verdict = run.code === 0 ? 'ok' : 'failed';
  }
  if (verdict === 'ok') return;
  if (verdict === 'not-yet-valid') {
    throw new ProvisionError(
      "apt-get update failed in the Debian root: the archive's Release file is dated after this machine's " +
        `clock. Set the clock right (date, NTP), then run again.\n${run.output.slice(-2000)}`,
    );
  }
  throw new ProvisionError(`apt-get update failed in the Debian root:\n${run.output.slice(-2000)}`);
}

/** apt's output, thinned to errors, warnings and one line in twenty (enough to see progress). */
async function aptInRoot(root: string, args: string[], log: (line: string) => void) {
  let count = 0;
  return runInRoot({ root, argv: ['apt-get', '-q', ...args] }, (line) => {
    count += 1;
    if (/^(E|W|Err|Error|Warning):/.test(line) || count % 20 === 0) log(`  apt: ${line}`);
  });
}

async function build(cache: string, series: string, log: (line: string) => void, env: NodeJS.ProcessEnv) {
  const entry = cacheEntry(cache, series);
  const archive = debianArchiveUri(env);
  const started = Date.now();
  const elapsed = () => `${Math.round((Date.now() - started) / 1000)}s`;
  removeEntry(entry.dir);
  mkdirSync(entry.dir, { recursive: true });

  log(`[synapse] debootstrap --variant=minbase ${DEBIAN_SUITE} from ${archive} (about a minute)…`);
  let lines = 0;
  const debootstrapCode = await runStreaming(
    'debootstrap',
    ['--variant=minbase', DEBIAN_SUITE, entry.root, archive],
    (line) => {
      lines += 1;
      if (/^E:|^W:/.test(line) || lines % 25 === 0) log(`  debootstrap: ${line}`);
    },
  );
  unmountUnder(entry.root);
  if (debootstrapCode !== 0) {
    throw new ProvisionError(`debootstrap failed (exit ${debootstrapCode}); see the lines above.`);
  }
  log(`[synapse] Debian root ready (${elapsed()}); installing matrix-synapse ${series}.x…`);

  // No daemons start inside the root, no questions are asked, no recommends are pulled in.
  writeFileSync(join(entry.root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  writeFileSync(
    join(entry.root, 'etc/apt/apt.conf.d/90clawchat'),
    'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\nDpkg::Use-Pty "false";\n',
  );
  writeFileSync(
    join(entry.root, 'tmp/clawchat-debconf'),
    'matrix-synapse matrix-synapse/server-name string localhost\nmatrix-synapse matrix-synapse/report-stats boolean false\n',
  );
  await runInRoot({ root: entry.root, argv: ['debconf-set-selections', '/tmp/clawchat-debconf'] });

  await aptUpdateWithRetry((allowExpired) => {
    if (allowExpired) {
      writeFileSync(
        join(entry.root, 'etc/apt/apt.conf.d/91clawchat-snapshot'),
        'Acquire::Check-Valid-Until "false";\n',
      );
    }
    return aptInRoot(entry.root, ['update'], log);
  }, log);
  const install = await aptInRoot(entry.root, ['install', '-y', `matrix-synapse=${series}*`], log);
  if (install.code !== 0) {
    throw new ProvisionError(
      `apt-get install matrix-synapse=${series}* failed. If Debian ${DEBIAN_SUITE} moved to another Synapse ` +
        `series, update SYNAPSE_SERIES in tools/local-synapse/src/provision/rootfs.ts.\n${install.output.slice(-2000)}`,
    );
  }
  await aptInRoot(entry.root, ['clean'], () => {});
  const probe = await probeRoot(entry.root);
  if (!probe) throw new ProvisionError('matrix-synapse installed but does not import in the Debian root.');
  const marker: ReadyMarker = {
    ...probe,
    series,
    archive,
    provisionedAt: new Date().toISOString(),
  };
  writeFileSync(entry.marker, `${JSON.stringify(marker, null, 2)}\n`);
  log(
    `[synapse] Synapse ${probe.synapseVersion} (Python ${probe.pythonVersion}) provisioned in ${elapsed()}.`,
  );
  return marker;
}

/** Imports Synapse inside the root; null when it does not import. */
export async function probeRoot(root: string): Promise<ProvisionedRoot | null> {
  const result = await runInRoot({
    root,
    argv: ['python3', '-c', 'import sys, synapse; print(synapse.__version__, sys.version.split()[0])'],
  });
  const [synapseVersion, pythonVersion] = result.output.trim().split('\n').pop()?.split(' ') ?? [];
  if (result.code !== 0 || !synapseVersion || !pythonVersion) return null;
  return { root, synapseVersion, pythonVersion };
}

/**
 * Makes sure a working Debian root with Synapse exists and returns it. Idempotent and safe to call
 * concurrently from several processes: one provisions, the others wait for its lock and reuse the result.
 */
export async function ensureProvisioned(options: ProvisionOptions = {}): Promise<ProvisionedRoot> {
  const cache = options.cache ?? cacheDir(options.env);
  const series = options.series ?? SYNAPSE_SERIES;
  const log = options.log ?? ((line: string) => console.log(line));
  const env = options.env ?? process.env;
  checkPrerequisites('run');

  const quick = inspectCache(cache, series);
  if (quick.state === 'ready' && !options.rebuild) return quick.marker;
  checkPrerequisites('build');

  mkdirSync(cache, { recursive: true });
  const entry = cacheEntry(cache, series);
  const release = await lockfile
    .lock(entry.lock, {
      realpath: false,
      stale: 30_000,
      update: 5_000,
      retries: {
        retries: 1_000,
        minTimeout: 500,
        maxTimeout: 2_000,
        factor: 1.2,
      },
      onCompromised: (error) => log(`[synapse] provisioning lock lost: ${error.message}`),
    })
    .catch((error: Error) => {
      throw new ProvisionError(`could not take the provisioning lock ${entry.lock}.lock: ${error.message}`);
    });
  try {
    const state = inspectCache(cache, series);
    if (state.state === 'ready' && !options.rebuild) {
      log('[synapse] another process provisioned the Debian root; reusing it.');
      return state.marker;
    }
    const users = existsSync(entry.root) ? processesInRoot(entry.root) : [];
    if (users.length > 0) {
      throw new ProvisionError(
        `the Debian root ${entry.root} is in use by process ${users.join(', ')} (a local Synapse of \`npm start\` or of a test run): stop it, then provision again. Nothing was changed.`,
      );
    }
    if (options.rebuild) {
      // The marker goes first: an interrupted rebuild is then seen as one, and redone.
      rmSync(entry.marker, { force: true });
      log(`[synapse] rebuilding the Debian root in ${entry.dir} on request (about two minutes)…`);
    } else if (state.state === 'interrupted' || state.state === 'broken') {
      log(
        `[synapse] the cached Debian root in ${entry.dir} is ${state.state} (${state.reason}): rebuilding it.`,
      );
    } else {
      log(`[synapse] provisioning the local Synapse into ${entry.dir} (first time only, about two minutes)…`);
    }
    return await build(cache, series, log, env);
  } finally {
    await release().catch(() => {});
  }
}
