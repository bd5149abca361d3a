import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cacheDir, packageDir } from '../src/paths.ts';
import { debianArchiveUri, parseDeb822, parseOneLine } from '../src/provision/apt-sources.ts';
import { cacheEntry, ensureProvisioned, inspectCache, SYNAPSE_SERIES } from '../src/provision/rootfs.ts';
import { scratchDirs } from './fixtures/scratch.ts';

const scratch = scratchDirs('clawchat-provision-');

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

describe('prerequisites', () => {
  test('without root it stops and says what to do instead', () => {
    const result = spawnSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        '--import',
        'tsx',
        join(packageDir, 'src/cli.ts'),
        'provision',
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, HOME: '/tmp', TSX_TSCONFIG_PATH: join(packageDir, 'tsconfig.json') },
      },
    );
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /needs root/);
    assert.match(result.stderr, /Docker Compose from server\//);
    assert.match(result.stderr, /MATRIX_HOMESERVER_URL/);
  });
});
