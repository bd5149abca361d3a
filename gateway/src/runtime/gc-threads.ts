// How many helper threads V8 gets for garbage collection. Node gives it 4 (`--v8-pool-size`) whatever the
// machine, and concurrent marking, sweeping and parallel scavenges run on them at the same priority as
// the gateway's event loops. On a 2-core machine running the main thread and a stream thread, those
// helpers take the cores away from the event loops in bursts, 50-200 ms at a time while a large heap is
// marked: at 10,000 streaming conversations the gateway-added p99 was 102-200 ms with 4 helpers and
// 44-129 ms with one (21 of 25 runs under 100 ms, median about 64), for the same CPU (gateway README,
// Scale). The option is read when Node starts, so the gateway cannot change it for itself: the image
// sets it (gateway/Dockerfile), `npm start` passes it, and the gateway warns at start when it was left
// at Node's default on a machine it does not fit.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export const NODE_DEFAULT_V8_POOL_SIZE = 4;

type ReadFile = (path: string) => string;

const readText: ReadFile = (path) => readFileSync(path, 'utf8');

/** A cgroup CPU quota in cores (a container's CPU limit), or undefined when there is none. */
export function cgroupCpuLimit(read: ReadFile = readText): number | undefined {
  const attempt = (f: () => number | undefined) => {
    try {
      return f();
    } catch {
      return undefined;
    }
  };
  // cgroup v2: "max 100000" (no limit) or "<quota> <period>".
  const v2 = attempt(() => {
    const [quota, period] = read('/sys/fs/cgroup/cpu.max').trim().split(/\s+/);
    if (quota === 'max') return Number.POSITIVE_INFINITY;
    const cores = Number(quota) / Number(period);
    return Number.isFinite(cores) && cores > 0 ? cores : undefined;
  });
  if (v2 !== undefined) return Number.isFinite(v2) ? v2 : undefined;
  // cgroup v1: a quota of -1 is no limit.
  return attempt(() => {
    const quota = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us').trim());
    const period = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us').trim());
    const cores = quota / period;
    return quota > 0 && Number.isFinite(cores) && cores > 0 ? cores : undefined;
  });
}

/** The cores this process can use: the CPUs it may run on, capped by a container's CPU limit. */
export function usableCores(read: ReadFile = readText): number {
  const limit = cgroupCpuLimit(read);
  const cpus = availableParallelism();
  return limit === undefined ? cpus : Math.max(1, Math.min(cpus, Math.ceil(limit)));
}

/**
 * The pool size that fits `jsThreads` event loops on `cores` cores: the cores they leave over, at least
 * one (V8 needs a helper), at most Node's default.
 */
export function advisedV8PoolSize(cores: number, jsThreads: number): number {
  return Math.max(1, Math.min(NODE_DEFAULT_V8_POOL_SIZE, Math.floor(cores) - jsThreads));
}

/** The `--v8-pool-size` this process was started with (on its command line or in NODE_OPTIONS), if any. */
export function givenV8PoolSize(execArgv: readonly string[], nodeOptions = ''): number | undefined {
  let given: number | undefined;
  const args = [...nodeOptions.split(/\s+/), ...execArgv];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--v8-pool-size') given = Number(args[i + 1]);
    else if (arg.startsWith('--v8-pool-size=')) given = Number(arg.slice('--v8-pool-size='.length));
  }
  return given;
}

/**
 * A start-up warning when V8's helper threads were left at Node's default and outnumber the cores the
 * event loops leave over; undefined when the pool size was given or the default fits.
 */
export function v8PoolWarning(options: {
  execArgv: readonly string[];
  nodeOptions: string | undefined;
  cores: number;
  jsThreads: number;
}): string | undefined {
  if (givenV8PoolSize(options.execArgv, options.nodeOptions) !== undefined) return undefined;
  const advised = advisedV8PoolSize(options.cores, options.jsThreads);
  if (advised >= NODE_DEFAULT_V8_POOL_SIZE) return undefined;
  return (
    `V8 collects garbage on ${NODE_DEFAULT_V8_POOL_SIZE} helper threads (Node's default --v8-pool-size), ` +
    `but this process has ${options.cores} core(s) for ${options.jsThreads} event loop(s) (the main thread ` +
    'and LLM_STREAM_THREADS): the helpers will take cores from the event loops in bursts and lengthen ' +
    `reply latency under load. Start node with --v8-pool-size=${advised} (e.g. NODE_OPTIONS=--v8-pool-size=${advised}), ` +
    'as the gateway image does.'
  );
}
