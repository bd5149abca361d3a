// The benchmark's fake LLM, run as its own process: the Anthropic Messages streaming wire format (as the
// official SDK reads it) with a configurable time to first token, tokens/s and tokens per SSE event.
// Lean on purpose (one timer per stream, no request recording), to hold 10,000+ concurrent streams.
// It notes, per conversation tag, when the request arrived and when its first token was written, so
// the driver can subtract the model's own latency exactly:
//   GET /bench/timings → { timings: { [tag]: [receivedAt, firstTokenAt, endAt] }, ... } (epoch ms)
//   POST /bench/reset → clears the timings and counters (after a warm-up)
//   node --import tsx bench/src/gateway/fake-llm.ts --ttft 300 --tps 50 --chunk 1 --tokens 150
//     [--tls-cert cert.pem --tls-key key.pem]
// With a certificate the Messages API is served over HTTPS (as real providers serve it: the TLS work is
// part of what a stream costs its client) and the /bench endpoints over plain HTTP on a second port.
// Prints one JSON line {"url","port","controlUrl"} once listening; stops on SIGTERM/SIGINT.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  anthropicStreamClosing,
  anthropicStreamOpening,
  anthropicTextDelta,
} from '../../../gateway/test/fakes/anthropic-sse.ts';
import { replyText, TAG_PATTERN, tokenize } from './fake-llm-text.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    ttft: { type: 'string', default: '300' },
    tps: { type: 'string', default: '50' },
    chunk: { type: 'string', default: '1' },
    tokens: { type: 'string', default: '150' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
  strict: true,
});
const num = (name: string, raw: string | undefined, min: number): number => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) {
    process.stderr.write(`--${name} must be a number >= ${min}, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return value;
};
const ttftMs = num('ttft', values.ttft, 0);
const tps = num('tps', values.tps, 0);
const chunkSize = Math.floor(num('chunk', values.chunk, 1));
const tokens = Math.floor(num('tokens', values.tokens, 1));
const chunkIntervalMs = tps > 0 ? (chunkSize / tps) * 1000 : 0;

const now = () => performance.timeOrigin + performance.now();

const timings = new Map<string, [number, number, number]>();
let requests = 0;
let active = 0;
let peakActive = 0;
let completed = 0;
let cut = 0;
let idSeq = 0;
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();

function chunksOf(text: string): string[] {
  const words = tokenize(text);
  const out: string[] = [];
  for (let i = 0; i < words.length; i += chunkSize) out.push(words.slice(i, i + chunkSize).join(''));
  return out;
}

function stream(res: ServerResponse, tag: string, model: string, receivedAt: number): void {
  const id = `msg_bench${(++idSeq).toString(36)}`;
  const chunks = chunksOf(replyText(tag, tokens));
  const timing: [number, number, number] = [receivedAt, 0, 0];
  timings.set(tag, timing);
  active++;
  peakActive = Math.max(peakActive, active);
  let closed = false;
  let finished = false;
  const done = () => {
    if (finished) return;
    finished = true;
    active--;
  };
  res.on('close', () => {
    closed = true;
    if (!finished) cut++;
    done();
  });
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': `req_${id}`,
  });
  res.write(anthropicStreamOpening(id, model, 10));
  let i = 0;
  const next = () => {
    if (closed) return;
    if (i < chunks.length) {
      res.write(anthropicTextDelta(chunks[i]!));
      if (i === 0) timing[1] = now();
      i++;
      if (chunkIntervalMs === 0) {
        next();
        return;
      }
      if (i < chunks.length) {
        setTimeout(next, chunkIntervalMs);
        return;
      }
    }
    res.end(anthropicStreamClosing(tokens));
    timing[2] = now();
    completed++;
    done();
  };
  setTimeout(next, ttftMs);
}

if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
  process.stderr.write('--tls-cert and --tls-key go together\n');
  process.exit(2);
}

/** The benchmark's own endpoints; false when the request is not one of them. */
function control(req: IncomingMessage, res: ServerResponse, path: string | undefined): boolean {
  if (req.method === 'GET' && path === '/bench/timings') {
    const body = JSON.stringify({
      requests,
      completed,
      cut,
      active,
      peakActive,
      eventLoopLagMs: { p50: lag.percentile(50) / 1e6, p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 },
      timings: Object.fromEntries(timings),
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    return true;
  }
  if (req.method === 'POST' && path === '/bench/reset') {
    // A measurement starts here (after a warm-up): what it reports counts from now.
    timings.clear();
    requests = 0;
    completed = 0;
    cut = 0;
    peakActive = active;
    lag.reset();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    return true;
  }
  return false;
}

function notFound(res: ServerResponse, path: string | undefined): void {
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `no route ${path}` } }));
}

const tls =
  values['tls-cert'] && values['tls-key']
    ? { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) }
    : undefined;

function api(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (!tls && control(req, res, path)) return;
  if (req.method !== 'POST' || path !== '/v1/messages') {
    notFound(res, path);
    return;
  }
  requests++;
  const receivedAt = now();
  const parts: Buffer[] = [];
  req.on('data', (part: Buffer) => parts.push(part));
  req.on('end', () => {
    let body: { model?: string; messages?: Array<{ role: string; content: unknown }>; stream?: boolean };
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'bad JSON' } }),
      );
      return;
    }
    const last = body.messages?.filter((m) => m.role === 'user').at(-1)?.content;
    const lastText = typeof last === 'string' ? last : JSON.stringify(last ?? '');
    const tag = TAG_PATTERN.exec(lastText)?.[0] ?? `untagged-${requests}`;
    if (body.stream !== true) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'stream only' } }),
      );
      return;
    }
    stream(res, tag, body.model ?? 'fake', receivedAt);
  });
}

const server = tls ? createTlsServer({ ...tls, minVersion: 'TLSv1.3' }, api) : createServer(api);
server.keepAliveTimeout = 60_000;
server.requestTimeout = 0;
server.headersTimeout = 0;
const controlServer = tls
  ? createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (!control(req, res, path)) notFound(res, path);
    })
  : undefined;

const listen = (s: typeof server | NonNullable<typeof controlServer>, port: number) =>
  new Promise<number>((resolve) =>
    s.listen({ host: '127.0.0.1', port, backlog: 8192 }, () => resolve((s.address() as AddressInfo).port)),
  );
const port = await listen(server, Number(values.port));
const controlPort = controlServer ? await listen(controlServer, 0) : port;
const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
process.stdout.write(`${JSON.stringify({ url, port, controlUrl: `http://127.0.0.1:${controlPort}` })}\n`);

const stop = () => {
  controlServer?.close();
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
