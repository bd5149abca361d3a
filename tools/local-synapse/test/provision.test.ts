import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cacheDir, packageDir } from '../src/paths.ts';
import { debianArchiveUri, parseDeb822, parseOneLine } from '../src/provision/apt-sources.ts';
import {
  type AptRun,
  aptUpdateVerdict,
  aptUpdateWithRetry,
  cacheEntry,
  ensureProvisioned,
  inspectCache,
  ProvisionError,
  processesInRoot,
  SYNAPSE_SERIES,
  WHAT_TO_DO_INSTEAD,
} from '../src/provision/rootfs.ts';
import { scratchDirs } from './fixtures/scratch.ts';

const scratch = scratchDirs('clawchat-provision-');

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** apt-get update's output, recorded (fixtures/apt/README.md says how). */
function recorded(name: string): string {
  return readFileSync(join(packageDir, 'test/fixtures/apt', name), 'utf8');
}

/** The CLI's `provision`, run as a separate process, as a person runs it. */
function provisionCli(env: NodeJS.ProcessEnv, wrapper: string[] = [], flags: string[] = []) {
  const argv = [process.execPath, '--import', 'tsx', join(packageDir, 'src/cli.ts'), 'provision', ...flags];
  const [command, ...args] = [...wrapper, ...argv];
  return spawnSync(command!, args, {
    encoding: 'utf8',
    env: { ...process.env, TSX_TSCONFIG_PATH: join(packageDir, 'tsconfig.json'), ...env },
  });
}

describe('the Debian archive comes from the machine’s apt sources', () => {
  test('deb822 and one-line sources; security archives are skipped; the override wins', () => {
    const etc = scratch();
    mkdirSync(join(etc, 'sources.list.d'));
    writeFileSync(
      join(etc, 'sources.list.d', 'debian.sources'),
      'Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n' +
        'Types: deb deb-src\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n',
    );
    assert.equal(debianArchiveUri({}, etc), 'http://mirror.example/debian');
    assert.equal(
      debianArchiveUri({ CLAWCHAT_DEBIAN_MIRROR: 'http://other/debian' }, etc),
      'http://other/debian',
    );
    assert.deepEqual(
      parseOneLine('# c\ndeb [arch=amd64] http://a/debian sid main\ndeb-src http://b sid main\n', 'x'),
      [{ uri: 'http://a/debian', suites: ['sid'], file: 'x' }],
    );
    assert.deepEqual(parseDeb822('Types: deb\nEnabled: no\nURIs: http://c\nSuites: sid\n', 'y'), []);
  });

  test('no Debian source: the message says what to set', () => {
    assert.throws(() => debianArchiveUri({}, scratch()), /CLAWCHAT_DEBIAN_MIRROR/);
  });
});

describe('the cache', () => {
  test('states: missing, interrupted (no marker), broken (marker but no Synapse)', () => {
    const cache = scratch();
    assert.equal(inspectCache(cache).state, 'missing');
    const entry = cacheEntry(cache);
    mkdirSync(join(entry.root, 'usr/bin'), { recursive: true });
    assert.equal(inspectCache(cache).state, 'interrupted');
    writeFileSync(entry.marker, JSON.stringify({ synapseVersion: `${SYNAPSE_SERIES}.0` }));
    const broken = inspectCache(cache);
    assert.equal(broken.state, 'broken');
    assert.match((broken as { reason: string }).reason, /python3 is missing/);
    writeFileSync(entry.marker, '{not json');
    assert.equal(inspectCache(cache).state, 'broken');
  });

  test('provisioning is idempotent: a ready cache is reused as it is', async () => {
    const first = await ensureProvisioned({ log: () => {} });
    const marker = cacheEntry(cacheDir()).marker;
    const before = statSync(marker).mtimeMs;
    const lines: string[] = [];
    const second = await ensureProvisioned({ log: (line) => lines.push(line) });
    assert.deepEqual(second, first);
    assert.match(second.synapseVersion, new RegExp(`^${SYNAPSE_SERIES.replace('.', '\\.')}\\.`));
    assert.equal(statSync(marker).mtimeMs, before, 'the marker is untouched');
    assert.deepEqual(lines, [], 'nothing is provisioned again');
  });

  test('a broken cache is rebuilt, once, by two concurrent provisioners (real debootstrap + apt)', async () => {
    const cache = scratch();
    const entry = cacheEntry(cache);
    mkdirSync(join(entry.root, 'usr/bin'), { recursive: true });
    writeFileSync(join(entry.root, 'usr/bin/leftover'), 'from a broken run');
    writeFileSync(entry.marker, JSON.stringify({ synapseVersion: `${SYNAPSE_SERIES}.0` }));

    const run = () =>
      new Promise<{ code: number; output: string }>((resolvePromise) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', join(packageDir, 'test/fixtures/provision-child.ts'), cache],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let output = '';
        child.stdout.on('data', (chunk) => {
          output += chunk;
        });
        child.stderr.on('data', (chunk) => {
          output += chunk;
        });
        child.on('close', (code) => resolvePromise({ code: code ?? 1, output }));
      });
    const results = await Promise.all([run(), run()]);
    for (const result of results) assert.equal(result.code, 0, result.output.slice(-3000));
    const all = results.map((r) => r.output).join('\n');
    assert.equal(all.match(/debootstrap --variant=minbase/g)?.length, 1, 'exactly one process provisions');
    assert.match(all, /is broken .*rebuilding it/);
    assert.match(all, /another process provisioned the Debian root; reusing it/);
    assert.equal(inspectCache(cache).state, 'ready');
    assert.equal(
      spawnSync('test', ['-e', join(entry.root, 'usr/bin/leftover')]).status,
      1,
      'the broken root was wiped',
    );
  });
});

describe('apt-get update in the Debian root', () => {
  const expired = recorded('update-expired.txt');
  const notYetValid = recorded('update-not-yet-valid.txt');
  const fine = 'Get:1 http://mirror.example/debian sid InRelease [205 kB]\nReading package lists...\n';

  test('the recorded outputs are told apart: expired, not valid yet, fine, another failure', () => {
    assert.equal(aptUpdateVerdict({ code: 100, output: expired }), 'expired');
    assert.equal(aptUpdateVerdict({ code: 100, output: notYetValid }), 'not-yet-valid');
    assert.equal(aptUpdateVerdict({ code: 0, output: fine }), 'ok');
    assert.equal(
      aptUpdateVerdict({ code: 100, output: 'E: Failed to fetch http://x/InRelease  404  Not Found\n' }),
      'failed',
    );
    // apt 3 (Debian sid, in the root) says the same after "Error:" instead of "E:".
    assert.equal(aptUpdateVerdict({ code: 100, output: expired.replace(/^E: /m, 'Error: ') }), 'expired');
    // An older apt only warned, and exited 0: still expired, still retried.
    assert.equal(aptUpdateVerdict({ code: 0, output: expired.replace(/^E: /m, 'W: ') }), 'expired');
  });

  /** Plays recorded runs in order; records whether each was asked to allow an expired Release file. */
  function replay(...runs: AptRun[]) {
    const calls: boolean[] = [];
    const update = async (allowExpired: boolean) => {
      calls.push(allowExpired);
      const run = runs[calls.length - 1];
      if (!run) throw new Error('apt-get update run more often than recorded');
      return run;
    };
    return { calls, update };
  }

  test('an expired snapshot Release file: retried once without the check, and it says so', async () => {
    const { calls, update } = replay({ code: 100, output: expired }, { code: 0, output: fine });
    const lines: string[] = [];
    await aptUpdateWithRetry(update, (line) => lines.push(line));
    assert.deepEqual(calls, [false, true]);
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /Release file has expired: retrying apt-get update with Acquire::Check-Valid-Until=false/,
    );
    assert.match(lines[0]!, /still verified by their signatures/);
  });

  test('a retry that fails too is an error with apt’s output', async () => {
    const failure = 'E: Failed to fetch http://snapshot.example/InRelease  Connection refused\n';
    const { calls, update } = replay({ code: 100, output: expired }, { code: 100, output: failure });
    await assert.rejects(
      aptUpdateWithRetry(update, () => {}),
      (error: Error) => {
        assert.ok(error instanceof ProvisionError);
        assert.match(error.message, /apt-get update failed in the Debian root/);
        assert.match(error.message, /Connection refused/);
        return true;
      },
    );
    assert.deepEqual(calls, [false, true]);
  });

  test('a Release file dated in the future is not retried: the message points at the clock', async () => {
    const { calls, update } = replay({ code: 100, output: notYetValid });
    await assert.rejects(
      aptUpdateWithRetry(update, () => {}),
      /dated after this machine's clock/,
    );
    assert.deepEqual(calls, [false]);
  });

  test('a fine update runs once, silently; any other failure is not retried', async () => {
    const ok = replay({ code: 0, output: fine });
    const lines: string[] = [];
    await aptUpdateWithRetry(ok.update, (line) => lines.push(line));
    assert.deepEqual(ok.calls, [false]);
    assert.deepEqual(lines, []);
    const failed = replay({ code: 100, output: 'E: Could not resolve mirror.example\n' });
    await assert.rejects(
      aptUpdateWithRetry(failed.update, () => {}),
      /Could not resolve/,
    );
    assert.deepEqual(failed.calls, [false]);
  });
});

describe('prerequisites', () => {
  test('without root it stops and says what to do instead', () => {
    const result = provisionCli({ HOME: '/tmp' }, [
      'setpriv',
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
    ]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /needs root/);
    assert.match(result.stderr, /Docker Compose from server\//);
    assert.match(result.stderr, /MATRIX_HOMESERVER_URL/);
  });

  /** A PATH with everything provisioning looks for but debootstrap. */
  function binWithoutDebootstrap(): string {
    const bin = scratch();
    for (const tool of ['sh', 'unshare', 'chroot']) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      assert.ok(found, `${tool} is on this machine`);
      symlinkSync(found, join(bin, tool));
    }
    return bin;
  }

  /** A cache whose root passes for ready (the files and marker the check looks at), without Synapse. */
  function readyLookingCache() {
    const cache = scratch();
    const entry = cacheEntry(cache);
    for (const file of ['usr/bin/python3', 'usr/lib/python3/dist-packages/synapse/__init__.py']) {
      mkdirSync(join(entry.root, file, '..'), { recursive: true });
      writeFileSync(join(entry.root, file), '');
    }
    const marker = {
      root: entry.root,
      synapseVersion: `${SYNAPSE_SERIES}.0`,
      pythonVersion: '3.14.0',
      series: SYNAPSE_SERIES,
      archive: 'http://deb.invalid/debian',
      provisionedAt: new Date().toISOString(),
    };
    writeFileSync(entry.marker, JSON.stringify(marker));
    return { cache, entry };
  }

  test('a rebuild refuses to pull the root from under a process running in it', async () => {
    const { cache, entry } = readyLookingCache();
    // A process chrooted into the root, as a running Synapse is: /bin/sleep and what it links.
    const libraries = spawnSync('ldd', ['/bin/sleep'], { encoding: 'utf8' })
      .stdout.split('\n')
      .map((line) => /(\/\S+) \(0x/.exec(line)?.[1])
      .filter((path): path is string => !!path);
    for (const file of ['/bin/sleep', ...libraries]) {
      mkdirSync(join(entry.root, file, '..'), { recursive: true });
      copyFileSync(file, join(entry.root, file));
    }
    chmodSync(join(entry.root, 'bin/sleep'), 0o755);
    const running = spawn('chroot', [entry.root, '/bin/sleep', '60'], { stdio: 'ignore' });
    try {
      await waitUntil(() => processesInRoot(entry.root).length > 0);
      const result = provisionCli({ CLAWCHAT_CACHE_DIR: cache }, [], ['--rebuild']);
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`is in use by process ${running.pid}.*Nothing was changed`));
      assert.ok(existsSync(entry.marker), 'the root is still ready');
      assert.ok(existsSync(join(entry.root, 'bin/sleep')));
    } finally {
      running.kill('SIGKILL');
    }
  });

  test('with a ready cache, debootstrap is not needed (only to build a root)', () => {
    const { cache } = readyLookingCache();
    const result = provisionCli({ PATH: binWithoutDebootstrap(), CLAWCHAT_CACHE_DIR: cache });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`Synapse ${SYNAPSE_SERIES}\\.0 .* is ready in .*\\[ready\\]`));
  });

  test('without debootstrap it stops before touching the cache and says what to install or do instead', () => {
    const bin = binWithoutDebootstrap();
    const cache = scratch();
    const result = provisionCli({ PATH: bin, CLAWCHAT_CACHE_DIR: cache });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /'debootstrap' is not installed/);
    assert.match(result.stderr, /apt-get install -y debootstrap/);
    assert.ok(result.stderr.includes(WHAT_TO_DO_INSTEAD), result.stderr);
    assert.match(WHAT_TO_DO_INSTEAD, /Docker Compose from server\//);
    assert.match(WHAT_TO_DO_INSTEAD, /MATRIX_HOMESERVER_URL/);
    assert.deepEqual(readdirSync(cache), [], 'nothing was provisioned');
  });
});
