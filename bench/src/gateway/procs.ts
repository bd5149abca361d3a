// Child processes of the gateway benchmarks: the gateway itself (configured by environment; by default
// the production bundle of gateway/Dockerfile, as the image runs it), the fake LLM, each stopped on exit
// (also on failure).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  buildGatewayBundle,
  bundleFolder,
  type GatewayBundle,
  runtimeEnv,
} from '../../../gateway/scripts/dockerfile-bundle.ts';
import { selfSignedCertificate } from '../../../gateway/test/support/self-signed.ts';

export const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..', '..');

const children = new Set<ChildProcess>();

/** Kills every child still running (SIGTERM, then SIGKILL after `graceMs`). */
export async function stopAll(graceMs = 5000): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child, graceMs)));
}

export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return;
  }
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
}
process.once('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (bundle) rmSync(dirname(bundle.mainFile), { recursive: true, force: true });
});

let bundle: GatewayBundle | undefined;

/** The gateway as the image runs it, built once per benchmark process into gateway/.bundle-bench-*. */
function gatewayBundle(): GatewayBundle {
  bundle ??= buildGatewayBundle(bundleFolder('.bundle-bench-'));
  return bundle;
}

/**
 * How a benchmark starts the gateway: `bundle`, the esbuild bundle of gateway/Dockerfile with the image's
 * NODE_ENV and NODE_OPTIONS (what production runs); `sources`, the TypeScript sources under tsx, with
 * the image's NODE_OPTIONS.
 */
export type GatewayBuild = 'bundle' | 'sources';

/** What runs as the gateway, for the benchmarks' first report line. */
export function gatewayBuildLabel(build: GatewayBuild): string {
  return build === 'bundle' ? "gateway/Dockerfile's bundle (node dist/main.js)" : 'src/main.ts under tsx';
}

function gatewayCommand(build: GatewayBuild): { args: string[]; env: Record<string, string> } {
  // Node's options as gateway/Dockerfile's runtime stage sets them (V8's helper threads among them),
  // from the sources too, so that the two builds differ only in what runs.
  const { NODE_ENV, NODE_OPTIONS } = runtimeEnv();
  const nodeOptions = { NODE_OPTIONS: NODE_OPTIONS ?? '' };
  if (build === 'sources')
    return { args: ['--import', 'tsx', join(repoRoot, 'gateway', 'src', 'main.ts')], env: nodeOptions };
  return { args: [gatewayBundle().mainFile], env: { NODE_ENV: NODE_ENV ?? '', ...nodeOptions } };
}

export interface FakeLlm {
  child: ChildProcess;
  /** The Messages API (https:// with `tls`). */
  url: string;
  /** The benchmark's own endpoints (/bench/timings, /bench/reset): plain HTTP on loopback always. */
  controlUrl: string;
  /** With `tls`: the self-signed certificate the LLM client must trust (e.g. NODE_EXTRA_CA_CERTS). */
  caFile?: string;
}

export interface FakeLlmTiming {
  requests: number;
  completed: number;
  cut: number;
  peakActive: number;
  /** Streams open now. */
  active: number;
  eventLoopLagMs: { p50: number; p99: number; max: number };
  /** tag → [receivedAt, firstTokenAt, endAt] (epoch ms) */
  timings: Record<string, [number, number, number]>;
}

export async function startFakeLlm(options: {
  ttftMs: number;
  tokensPerSecond: number;
  chunk: number;
  tokens: number;
  /** Serve the Messages API over HTTPS (TLS 1.3, a self-signed certificate), as real providers do. */
  tls?: boolean;
}): Promise<FakeLlm> {
  const tls = options.tls ? selfSignedCertificate() : undefined;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(here, 'fake-llm.ts'),
      `--ttft=${options.ttftMs}`,
      `--tps=${options.tokensPerSecond}`,
      `--chunk=${options.chunk}`,
      `--tokens=${options.tokens}`,
      ...(tls ? [`--tls-cert=${tls.certFile}`, `--tls-key=${tls.keyFile}`] : []),
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.add(child);
  const lines = createInterface({ input: child.stdout! });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    once(child, 'exit').then(() => {
      throw new Error('the fake LLM exited during start-up');
    }),
  ]);
  const { url, controlUrl } = JSON.parse(first) as { url: string; controlUrl: string };
  return { child, url, controlUrl, ...(tls ? { caFile: tls.certFile } : {}) };
}

/** The gateway's settings that make the fake LLM its provider (and trust its certificate over HTTPS). */
export function fakeLlmGatewayEnv(fake: FakeLlm): Record<string, string> {
  return {
    LLM_PROVIDER: 'anthropic',
    ANTHROPIC_API_KEY: 'bench-key',
    ANTHROPIC_BASE_URL: fake.url,
    ANTHROPIC_MODEL: 'fake-model',
    ...(fake.caFile ? { NODE_EXTRA_CA_CERTS: fake.caFile } : {}),
  };
}

/** How the fake LLM is reached, for the benchmarks' first report line. */
export function fakeLlmTransport(tls: boolean): string {
  return tls ? 'HTTPS (TLS 1.3)' : 'plain HTTP';
}

/**
 * Warms the fake LLM up before a measurement. A real provider is warm, and the fake's own first
 * requests (its code not yet compiled) would otherwise count as latency the gateway adds: `requests`
 * streams, `batch` at a time, each read to its first text and then dropped; the fake's timings and
 * counters are then cleared.
 */
export async function warmFakeLlm(fake: FakeLlm, requests = 500, batch = 100): Promise<void> {
  const url = new URL('/v1/messages', fake.url);
  const ca = fake.caFile ? readFileSync(fake.caFile) : undefined;
  const body = JSON.stringify({
    model: 'warm-up',
    max_tokens: 16,
    stream: true,
    messages: [{ role: 'user', content: 'warm-up' }],
  });
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        ...(ca ? { ca } : {}),
      });
      request.on('error', reject);
      request.on('response', (response) => {
        if (response.statusCode !== 200) {
          request.destroy();
          reject(new Error(`the fake LLM answered its warm-up with ${response.statusCode}`));
          return;
        }
        response.on('data', (chunk: Buffer) => {
          if (!chunk.includes('content_block_delta')) return;
          request.destroy();
          resolve();
        });
        response.on('end', resolve);
      });
      request.end(body);
    });
  for (let sent = 0; sent < requests; sent += batch)
    await Promise.all(Array.from({ length: Math.min(batch, requests - sent) }, one));
  // The dropped streams close on the fake's side before its counters are cleared.
  for (let i = 0; i < 50 && (await fakeLlmTimings(fake)).active > 0; i++) await sleep(100);
  const reset = await fetch(`${fake.controlUrl}/bench/reset`, { method: 'POST' });
  if (!reset.ok) throw new Error(`the fake LLM's /bench/reset answered ${reset.status}`);
}

export async function fakeLlmTimings(fake: FakeLlm): Promise<FakeLlmTiming> {
  const response = await fetch(`${fake.controlUrl}/bench/timings`);
  return (await response.json()) as FakeLlmTiming;
}

export interface GatewayProcess {
  child: ChildProcess;
  port: number;
  /** Log lines by level (pino numbers: 40 warn, 50 error, 60 fatal), and the first few messages. */
  logCounts: Record<string, number>;
  firstProblems: string[];
  exitInfo(): string | undefined;
}

/** Starts the gateway as its own process and waits until /healthz answers. */
export async function startGateway(
  env: Record<string, string>,
  port: number,
  nodeArgs: string[] = [],
  build: GatewayBuild = 'bundle',
): Promise<GatewayProcess> {
  const command = gatewayCommand(build);
  const child = spawn(process.execPath, [...nodeArgs, ...command.args], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      ...command.env,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const logCounts: Record<string, number> = {};
  const firstProblems: string[] = [];
  const note = (line: string) => {
    let level = 'text';
    let msg = line;
    try {
      const parsed = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      level = String(parsed.level ?? 'text');
      msg = `${parsed.msg ?? ''}${parsed.err?.message ? `: ${parsed.err.message}` : ''}`;
    } catch {}
    logCounts[level] = (logCounts[level] ?? 0) + 1;
    if (level !== '30' && level !== '20' && firstProblems.length < 8) firstProblems.push(msg.slice(0, 300));
  };
  createInterface({ input: child.stdout! }).on('line', note);
  createInterface({ input: child.stderr! }).on('line', note);
  let exit: string | undefined;
  child.once('exit', (code, signal) => {
    exit = `exit ${code ?? signal}`;
  });
  const deadline = performance.now() + 60_000;
  for (;;) {
    if (exit) throw new Error(`the gateway ${exit} during start-up: ${firstProblems.join(' | ')}`);
    if (performance.now() > deadline) throw new Error('the gateway did not answer /healthz within 60 s');
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, port, logCounts, firstProblems, exitInfo: () => exit };
}

/** Selected series of the gateway's Prometheus metrics (histogram quantiles are approximated by buckets). */
export async function scrapeMetrics(port: number, withProcess = false): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (line.startsWith('#') || !line) continue;
      const match = /^(clawchat_[a-z_]+)(\{[^}]*\})? ([0-9.e+-]+|NaN)$/.exec(line);
      if (!match) continue;
      const [, name, labels] = match;
      if (!withProcess && name!.startsWith('clawchat_gateway_')) continue;
      out[`${name}${labels ?? ''}`] = Number(match[3]);
    }
  } catch {}
  return out;
}

/** A quantile estimated from a Prometheus histogram's cumulative buckets (upper bound of the bucket). */
export function histogramQuantile(
  metrics: Record<string, number>,
  name: string,
  q: number,
): number | undefined {
  const buckets: Array<[number, number]> = [];
  for (const [key, value] of Object.entries(metrics)) {
    const match = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\}$`).exec(key);
    if (match) buckets.push([match[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[1]), value]);
  }
  buckets.sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return undefined;
  for (const [le, count] of buckets) if (count >= q * total) return le;
  return undefined;
}

/** The commit the gateway was measured at, and whether gateway/ had uncommitted changes. */
export function gatewayRevision(): { commit: string; uncommittedChanges: boolean } | undefined {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'gateway'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
    return { commit, uncommittedChanges: dirty.length > 0 };
  } catch {
    return undefined;
  }
}
