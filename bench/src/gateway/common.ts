// What the gateway benchmarks (alone.ts, full-stack.ts) share: the options for the fake LLM's timing,
// the gateway's edit budget and the queue backend, small helpers, and pieces of their results and
// report lines.
import type { MachineFigures, ProcessFigures } from './proc-sampler.ts';
import type { GatewayBuild } from './procs.ts';

export const SERVER = 'localhost';
export const BOT = `@clawbot:${SERVER}`;
export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

export function num(name: string, raw: string | undefined, min = 0): number {
  const value = Number(raw);
  if (raw === undefined || !Number.isFinite(value) || value < min)
    throw new Error(`--${name} must be a number >= ${min}, got "${raw}"`);
  return value;
}

/** The `parseArgs` options both benchmarks take; the fake LLM's speed and reply length default per benchmark. */
export function streamOptions(defaults: { tps: string; chunk: string; tokens: string }) {
  return {
    ttft: { type: 'string', default: '300' },
    tps: { type: 'string', default: defaults.tps },
    chunk: { type: 'string', default: defaults.chunk },
    tokens: { type: 'string', default: defaults.tokens },
    'edit-budget': { type: 'string', default: '50' },
    'edit-interval': { type: 'string', default: '1000' },
    backend: { type: 'string', default: 'memory' },
    'stream-threads': { type: 'string', default: '1' },
    /** The fake LLM serves HTTPS (TLS 1.3, a throw-away certificate the gateway trusts), as providers do. */
    'llm-tls': { type: 'boolean', default: false },
    /** bundle: gateway/Dockerfile's esbuild bundle, as the image runs it; sources: src/main.ts under tsx. */
    'gateway-build': { type: 'string', default: 'bundle' },
  } as const;
}

export interface StreamSettings {
  ttftMs: number;
  tps: number;
  chunk: number;
  tokens: number;
  editBudget: number;
  editInterval: number;
  /** The gateway's LLM_STREAM_THREADS. */
  streamThreads: number;
  /** The fake LLM over HTTPS. */
  llmTls: boolean;
  /** What runs as the gateway process. */
  gatewayBuild: GatewayBuild;
}

type StreamValues = {
  [K in keyof ReturnType<typeof streamOptions>]?: ReturnType<typeof streamOptions>[K] extends {
    type: 'boolean';
  }
    ? boolean | undefined
    : string | undefined;
};

/** The values of `streamOptions`, checked. */
export function streamSettings(values: StreamValues): StreamSettings {
  return {
    ttftMs: num('ttft', values.ttft),
    tps: num('tps', values.tps),
    chunk: Math.floor(num('chunk', values.chunk, 1)),
    tokens: Math.floor(num('tokens', values.tokens, 1)),
    editBudget: num('edit-budget', values['edit-budget'], 1),
    editInterval: Math.floor(num('edit-interval', values['edit-interval'], 1)),
    streamThreads: Math.floor(num('stream-threads', values['stream-threads'], 0)),
    llmTls: values['llm-tls'] ?? false,
    gatewayBuild: gatewayBuildOf(values['gateway-build']),
  };
}

function gatewayBuildOf(value: string | undefined): GatewayBuild {
  if (value === 'bundle' || value === 'sources') return value;
  throw new Error(`--gateway-build must be bundle or sources, not ${JSON.stringify(value)}`);
}

/** `--backend memory|redis|both` as the list of backends to run. */
export function backendsOf(backend: string | undefined): string[] {
  if (!['memory', 'redis', 'both'].includes(backend ?? ''))
    throw new Error('--backend must be memory, redis or both');
  return backend === 'both' ? ['memory', 'redis'] : [backend as string];
}

/** The stream settings as the results file names them. */
export function streamSettingsResult(s: StreamSettings) {
  return {
    ttftMs: s.ttftMs,
    tokensPerSecond: s.tps,
    tokensPerEvent: s.chunk,
    replyTokens: s.tokens,
    editBudgetPerSecond: s.editBudget,
    editIntervalMs: s.editInterval,
    llmStreamThreads: s.streamThreads,
    llmTls: s.llmTls,
    gatewayBuild: s.gatewayBuild,
  };
}

/** The gateway's failed homeserver requests, from its metrics. */
export function homeserverErrors(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(metrics).filter(
      ([k]) => k.startsWith('clawchat_homeserver_requests_total') && !k.includes('outcome="ok"'),
    ),
  );
}

/** Redis's CPU over the run and the keys cleaned up after it; undefined for the in-process backend. */
export function redisResult(
  backend: string,
  cpuBefore: number | undefined,
  cpuAfter: number | undefined,
  keysDeleted: number,
) {
  return backend === 'redis'
    ? {
        cpuSeconds: cpuBefore !== undefined && cpuAfter !== undefined ? round(cpuAfter - cpuBefore, 2) : null,
        keysDeleted,
      }
    : undefined;
}

/** The report's CPU figures per process (without the label and Redis). */
export function cpuFigures(processes: ProcessFigures[]): string {
  return processes
    .map(
      (p) =>
        `${p.name} ${p.cpuSeconds} s (${p.mainThreadCpuSeconds === undefined ? '' : `main thread ${p.mainThreadCpuSeconds} s, `}mean ${p.meanCores}, peak ${p.peakCores} cores, peak RSS ${p.peakRssMB} MB)`,
    )
    .join('; ');
}

/** The report's line on the machine (without the label). */
export function machineFigures(m: MachineFigures): string {
  return `machine: ${m.cores} cores, mean ${m.meanBusyCores} busy, of which ${m.meanOtherCores} by processes outside this benchmark (load average ${m.meanLoadAverage1m})`;
}
