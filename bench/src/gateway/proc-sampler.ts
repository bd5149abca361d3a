// CPU seconds and resident memory of processes, sampled from /proc every ~500 ms (Linux only).
// A watched process counts with its descendants (Synapse runs as python under unshare/chroot).
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const CLOCK_TICKS = 100; // USER_HZ on Linux
const PAGE_KB = 4;

interface StatLine {
  ppid: number;
  cpuTicks: number;
  rssKb: number;
}

/** `/proc/<pid>/stat`, or with `thread` the stat of that one thread of the process. */
function readStat(pid: number, thread?: number): StatLine | undefined {
  try {
    const text = readFileSync(
      thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`,
      'utf8',
    );
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // rest[0] = state (field 3); utime = field 14, stime = field 15, rss = field 24 (pages)
    return {
      ppid: Number(rest[1]),
      cpuTicks: Number(rest[11]) + Number(rest[12]),
      rssKb: Number(rest[21]) * PAGE_KB,
    };
  } catch {
    return undefined;
  }
}

/** The pid and all its descendants (one scan of /proc). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (!stat) continue;
    const list = children.get(stat.ppid);
    if (list) list.push(pid);
    else children.set(stat.ppid, [pid]);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop() as number;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

export interface ProcessFigures {
  name: string;
  pid: number;
  /** CPU seconds (user + system) used while sampled. */
  cpuSeconds: number;
  /**
   * Of those, the process's main thread (the one whose id is the pid; a Node process's event loop):
   * the rest is its worker threads, V8's GC helpers and libuv's pool. Not for a watched tree.
   */
  mainThreadCpuSeconds?: number;
  /** Mean CPU use over the sampled window, in cores (1 = one core busy). */
  meanCores: number;
  /** Highest CPU use over one sampling interval, in cores. */
  peakCores: number;
  peakRssMB: number;
  lastRssMB: number;
}

interface Watched {
  name: string;
  pid: number;
  tree: boolean;
  startTicks?: number;
  lastTicks?: number;
  mainStartTicks?: number;
  mainLastTicks?: number;
  lastAt?: number;
  /** Ticks of descendants that exited are lost; keep the highest total seen. */
  peakCores: number;
  peakRssKb: number;
  lastRssKb: number;
  pids: number[];
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (line[3] ?? 0) + (line[4] ?? 0);
  return { busy: total - idle, total };
}

export interface MachineFigures {
  cores: number;
  /** Mean busy cores of the whole machine over the run. */
  meanBusyCores: number;
  /** Mean busy cores used by processes not watched here (other work sharing the machine). */
  meanOtherCores: number;
  meanLoadAverage1m: number;
}

export class ProcSampler {
  private machineStart = machineTicks();
  private loadSum = 0;
  private loadCount = 0;
  private readonly watched: Watched[] = [];
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private samples = 0;
  /** Optional per-sample callback (timeline of the run). */
  onSample?: (at: number, byName: Record<string, { cores: number; rssMB: number }>) => void;

  watch(name: string, pid: number, options: { tree?: boolean } = {}): void {
    const w: Watched = {
      name,
      pid,
      tree: options.tree ?? false,
      peakCores: 0,
      peakRssKb: 0,
      lastRssKb: 0,
      pids: [pid],
    };
    if (w.tree) w.pids = processTree(pid);
    this.watched.push(w);
    if (this.timer) this.sampleOne(w, performance.now());
  }

  start(intervalMs = 500): void {
    this.startedAt = performance.now();
    this.machineStart = machineTicks();
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Stops sampling (one last sample first) and returns the figures. */
  stop(): ProcessFigures[] {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    const seconds = (performance.now() - this.startedAt) / 1000;
    return this.watched.map((w) => {
      const cpuSeconds = ((w.lastTicks ?? 0) - (w.startTicks ?? 0)) / CLOCK_TICKS;
      const mainSeconds =
        w.mainLastTicks === undefined ? undefined : (w.mainLastTicks - (w.mainStartTicks ?? 0)) / CLOCK_TICKS;
      return {
        name: w.name,
        pid: w.pid,
        cpuSeconds: round(cpuSeconds, 2),
        ...(mainSeconds === undefined ? {} : { mainThreadCpuSeconds: round(mainSeconds, 2) }),
        meanCores: round(seconds > 0 ? cpuSeconds / seconds : 0, 2),
        peakCores: round(w.peakCores, 2),
        peakRssMB: round(w.peakRssKb / 1024, 1),
        lastRssMB: round(w.lastRssKb / 1024, 1),
      };
    });
  }

  /** Whole-machine figures since start (call after stop). */
  machine(figures: ProcessFigures[]): MachineFigures {
    const end = machineTicks();
    const seconds = (performance.now() - this.startedAt) / 1000;
    const busyCores = (end.busy - this.machineStart.busy) / CLOCK_TICKS / seconds;
    const ours = figures.reduce((a, f) => a + f.meanCores, 0);
    return {
      cores: cpus().length,
      meanBusyCores: round(busyCores, 2),
      meanOtherCores: round(Math.max(0, busyCores - ours), 2),
      meanLoadAverage1m: round(this.loadCount ? this.loadSum / this.loadCount : 0, 2),
    };
  }

  get sampleCount(): number {
    return this.samples;
  }

  private sample(): void {
    const now = performance.now();
    this.samples += 1;
    try {
      this.loadSum += Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
      this.loadCount += 1;
    } catch {}
    const byName: Record<string, { cores: number; rssMB: number }> = {};
    for (const w of this.watched) {
      const cores = this.sampleOne(w, now);
      byName[w.name] = { cores: round(cores, 2), rssMB: round(w.lastRssKb / 1024, 1) };
    }
    this.onSample?.(now, byName);
  }

  private sampleOne(w: Watched, now: number): number {
    if (w.tree && this.samples % 4 === 1) w.pids = processTree(w.pid);
    let ticks = 0;
    let rss = 0;
    let alive = false;
    for (const pid of w.pids) {
      const stat = readStat(pid);
      if (!stat) continue;
      alive = true;
      ticks += stat.cpuTicks;
      rss += stat.rssKb;
    }
    if (!alive) return 0;
    const main = w.tree ? undefined : readStat(w.pid, w.pid);
    if (main) {
      w.mainStartTicks ??= main.cpuTicks;
      w.mainLastTicks = Math.max(main.cpuTicks, w.mainLastTicks ?? 0);
    }
    let cores = 0;
    if (w.startTicks === undefined) w.startTicks = ticks;
    if (w.lastTicks !== undefined && w.lastAt !== undefined && now > w.lastAt) {
      const delta = Math.max(0, ticks - w.lastTicks);
      cores = delta / CLOCK_TICKS / ((now - w.lastAt) / 1000);
      w.peakCores = Math.max(w.peakCores, cores);
    }
    w.lastTicks = Math.max(ticks, w.lastTicks ?? 0);
    w.lastAt = now;
    w.lastRssKb = rss;
    w.peakRssKb = Math.max(w.peakRssKb, rss);
    return cores;
  }
}

/** VmHWM (peak resident set) of a live process, in MB, as the kernel counts it. */
export function peakRssFromKernelMB(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? round(Number(match[1]) / 1024, 1) : undefined;
  } catch {
    return undefined;
  }
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
