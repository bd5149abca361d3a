// Sizing V8's garbage-collection helper threads to the cores the gateway's event loops leave over.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, test } from 'node:test';
import {
  advisedV8PoolSize,
  cgroupCpuLimit,
  givenV8PoolSize,
  NODE_DEFAULT_V8_POOL_SIZE,
  usableCores,
  v8PoolWarning,
} from '../../src/runtime/gc-threads.ts';

/** A file reader over a fixed set of files; any other path is missing, as on a host without cgroups. */
function files(map: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = map[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };
}

describe('V8 helper threads', () => {
  test('the advised pool is the cores the event loops leave, between 1 and Node default', () => {
    assert.equal(advisedV8PoolSize(2, 2), 1);
    assert.equal(advisedV8PoolSize(1, 2), 1);
    assert.equal(advisedV8PoolSize(4, 2), 2);
    assert.equal(advisedV8PoolSize(5, 2), 3);
    assert.equal(advisedV8PoolSize(64, 2), NODE_DEFAULT_V8_POOL_SIZE);
  });

  test('a container CPU limit is read from cgroup v2, then v1; none when unlimited or absent', () => {
    assert.equal(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': '150000 100000\n' })), 1.5);
    assert.equal(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': 'max 100000\n' })), undefined);
    assert.equal(
      cgroupCpuLimit(
        files({
          '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '200000\n',
          '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
        }),
      ),
      2,
    );
    assert.equal(
      cgroupCpuLimit(
        files({
          '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n',
          '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
        }),
      ),
      undefined,
    );
    assert.equal(cgroupCpuLimit(files({})), undefined);
    assert.equal(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': 'garbage' })), undefined);
  });

  test('usable cores: the CPUs, capped by a container limit rounded up', () => {
    const cpus = availableParallelism();
    assert.equal(usableCores(files({})), cpus);
    assert.equal(usableCores(files({ '/sys/fs/cgroup/cpu.max': '50000 100000' })), 1);
    assert.equal(usableCores(files({ '/sys/fs/cgroup/cpu.max': `${(cpus + 8) * 100000} 100000` })), cpus);
  });

  test('the pool size given on the command line or in NODE_OPTIONS is found (the last one wins)', () => {
    assert.equal(givenV8PoolSize([], ''), undefined);
    assert.equal(givenV8PoolSize(['--enable-source-maps'], '--max-old-space-size=900'), undefined);
    assert.equal(givenV8PoolSize([], '--enable-source-maps --v8-pool-size=1'), 1);
    assert.equal(givenV8PoolSize(['--v8-pool-size', '2'], undefined), 2);
    assert.equal(givenV8PoolSize(['--v8-pool-size=3'], '--v8-pool-size=1'), 3);
  });

  test('a warning only when the default was left and does not fit', () => {
    const few = { execArgv: [], nodeOptions: undefined, cores: 2, jsThreads: 2 };
    const warning = v8PoolWarning(few);
    assert.match(warning ?? '', /--v8-pool-size=1\b/);
    assert.match(warning ?? '', /2 core\(s\) for 2 event loop\(s\)/);
    assert.equal(v8PoolWarning({ ...few, nodeOptions: '--v8-pool-size=1' }), undefined);
    assert.equal(v8PoolWarning({ ...few, execArgv: ['--v8-pool-size=4'] }), undefined);
    assert.equal(v8PoolWarning({ ...few, cores: 16 }), undefined);
  });

  test('Node takes --v8-pool-size from NODE_OPTIONS, as the image gives it: 3 threads fewer than 4', () => {
    // The process's threads (Linux), of which V8's helpers are `pool size` many.
    const threads = (nodeOptions: string) => {
      const run = spawnSync(
        process.execPath,
        ['-e', 'process.stdout.write(String(require("node:fs").readdirSync("/proc/self/task").length))'],
        { env: { PATH: process.env.PATH, NODE_OPTIONS: nodeOptions }, encoding: 'utf8' },
      );
      assert.equal(run.status, 0, run.stderr);
      return Number(run.stdout);
    };
    const one = threads('--enable-source-maps --v8-pool-size=1');
    const four = threads('--enable-source-maps --v8-pool-size=4');
    assert.equal(four - one, 3, `${one} threads with one helper, ${four} with four`);
  });
});
