// What one streaming LLM call costs the process that reads it, memory and CPU, isolated from the rest of
// the gateway: N concurrent streams from the benchmark's fake LLM (its own process) read
//   sdk           through the official Anthropic SDK over Node's fetch;
//   sdk-lean      through the same SDK's own stream over the gateway's lean fetch (what the gateway did
//                 until 2026-12-04);
//   sdk-response  the SDK makes the request (`.asResponse()`, over the lean fetch) and eventsource-parser
//                 decodes the body, read through its async iterator;
//   sdk-push      the same with the body's chunks pushed to the parser (`readSseEvents`): what the
//                 gateway does;
//   push          no SDK: undici's dispatcher hands each chunk straight to eventsource-parser (no async
//                 iteration at all), the floor of any path on undici;
//   node-http     the same over Node's own http client (its C++ parser) instead of undici;
//   undici        undici.request with a minimal SSE line parser;
//   net           a bare TCP socket, the request written by hand and events counted in the bytes: the
//                 floor of any HTTP client in Node (socket, read, connection set-up).
// Resident memory at full concurrency and CPU per SSE event, per mode.
// Not run by `npm run bench` (a diagnostic behind the gateway-alone figures):
//   node --import tsx bench/src/gateway/sse-client-cost.ts [--streams 4000]
//     [--mode sdk|sdk-lean|sdk-response|sdk-push|push|node-http|undici|net|both|all]
//     [--node-flag=--heap-growing-percent=50 --node-flag=--max-semi-space-size=64]
import { spawn } from 'node:child_process';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Agent, type Dispatcher, request } from 'undici';
import { createLeanFetch } from '../../../gateway/src/llm/lean-fetch.ts';
import { readSseEvents } from '../../../gateway/src/llm/sse-events.ts';
import { num } from './common.ts';
import { startFakeLlm, stopAll } from './procs.ts';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '4000' },
    mode: { type: 'string', default: 'both' },
    tokens: { type: 'string', default: '40' },
    tps: { type: 'string', default: '4' },
    child: { type: 'string' },
    url: { type: 'string' },
    /** A V8 flag for the reading process, e.g. --node-flag=--max-semi-space-size=64 (repeatable). */
    'node-flag': { type: 'string', multiple: true, default: [] },
  },
  strict: true,
});
const MODES = ['sdk', 'sdk-lean', 'sdk-response', 'sdk-push', 'push', 'node-http', 'undici', 'net'];
if (![...MODES, 'both', 'all'].includes(values.mode!)) {
  process.stderr.write(`--mode: ${values.mode} is not one of ${[...MODES, 'both', 'all'].join(', ')}\n`);
  process.exit(2);
}
const STREAMS = num('streams', values.streams, 1);
const TOKENS = num('tokens', values.tokens, 1);
const TPS = num('tps', values.tps, 0.1);

if (values.child) {
  // Child: one mode, its own fresh process.
  const mode = values.child;
  const url = values.url!;
  const client = new Anthropic({
    apiKey: 'k',
    baseURL: url,
    maxRetries: 0,
    ...(mode.startsWith('sdk-') ? { fetch: createLeanFetch() } : {}),
  });
  const agent = new Agent({ connections: null, keepAliveTimeout: 30_000 });
  let events = 0;
  let open = 0;
  let peakOpen = 0;
  let peakRss = 0;
  const body = (i: number) => ({
    model: 'm',
    max_tokens: 100,
    stream: true as const,
    messages: [{ role: 'user' as const, content: `conv-${i} hello` }],
  });
  const viaSdk = async (i: number) => {
    const stream = await client.messages.create(body(i));
    let text = '';
    for await (const event of stream) {
      events++;
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    return text;
  };
  /** eventsource-parser over a body's bytes, keeping the text of the Messages API's text deltas. */
  const textDecoder = () => {
    const utf8 = new TextDecoder();
    const state = {
      text: '',
      onEvent(sse: EventSourceMessage) {
        events++;
        if (sse.event !== 'content_block_delta') return;
        const data = JSON.parse(sse.data) as { delta?: { type?: string; text?: string } };
        if (data.delta?.type === 'text_delta' && data.delta.text) state.text += data.delta.text;
      },
      feed: (chunk: Uint8Array) => parser.feed(utf8.decode(chunk, { stream: true })),
    };
    const parser = createParser({ onEvent: state.onEvent });
    return state;
  };
  const viaSdkResponse = async (i: number) => {
    const response = await client.messages.create(body(i)).asResponse();
    const decode = textDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) decode.feed(chunk);
    return decode.text;
  };
  const viaSdkPush = async (i: number) => {
    const response = await client.messages.create(body(i)).asResponse();
    const decode = textDecoder();
    await readSseEvents(response, decode.onEvent);
    return decode.text;
  };
  const viaPush = (i: number) =>
    new Promise<string>((resolve, reject) => {
      const decode = textDecoder();
      const target = new URL(`${url}/v1/messages`);
      agent.dispatch(
        {
          origin: target.origin,
          path: target.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-api-key': 'k',
            'anthropic-version': '2023-06-01',
          },
          body: JSON.stringify(body(i)),
        },
        {
          onRequestStart() {},
          onResponseStart() {},
          onResponseData: (_controller, chunk) => decode.feed(chunk),
          onResponseEnd: () => resolve(decode.text),
          onResponseError: (_controller, error) => reject(error),
        } satisfies Dispatcher.DispatchHandler,
      );
    });
  const httpAgent = new HttpAgent({ keepAlive: true, keepAliveMsecs: 30_000, maxSockets: Infinity });
  const viaNodeHttp = (i: number) =>
    new Promise<string>((resolve, reject) => {
      const decode = textDecoder();
      const payload = JSON.stringify(body(i));
      const req = httpRequest(
        `${url}/v1/messages`,
        {
          method: 'POST',
          agent: httpAgent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            'x-api-key': 'k',
            'anthropic-version': '2023-06-01',
          },
        },
        (res) => {
          res.on('data', (chunk: Buffer) => decode.feed(chunk));
          res.on('end', () => resolve(decode.text));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const viaUndici = async (i: number) => {
    const res = await request(`${url}/v1/messages`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify(body(i)),
    });
    res.body.setEncoding('utf8');
    let buffer = '';
    let text = '';
    for await (const piece of res.body as AsyncIterable<string>) {
      buffer += piece;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const dataLine = block.split('\n').find((l) => l.startsWith('data: '));
        if (dataLine) {
          events++;
          const data = JSON.parse(dataLine.slice(6)) as { type: string; delta?: { text?: string } };
          if (data.type === 'content_block_delta' && data.delta?.text) text += data.delta.text;
        }
        end = buffer.indexOf('\n\n');
      }
    }
    return text;
  };
  const viaNet = (i: number) =>
    new Promise<string>((resolve, reject) => {
      const target = new URL(`${url}/v1/messages`);
      const payload = JSON.stringify(body(i));
      const socket = connect(Number(target.port), target.hostname);
      let count = 0;
      socket.on('connect', () => {
        socket.write(
          `POST /v1/messages HTTP/1.1\r\nhost: ${target.host}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\n\r\n${payload}`,
        );
      });
      socket.on('data', (chunk: Buffer) => {
        let at = chunk.indexOf('event: ');
        while (at >= 0) {
          count++;
          events++;
          at = chunk.indexOf('event: ', at + 7);
        }
        if (chunk.includes('message_stop')) {
          socket.destroy();
          resolve(String(count));
        }
      });
      socket.on('error', reject);
    });
  const readers: Record<string, (i: number) => Promise<string>> = {
    sdk: viaSdk,
    'sdk-lean': viaSdk,
    'sdk-response': viaSdkResponse,
    'sdk-push': viaSdkPush,
    push: viaPush,
    'node-http': viaNodeHttp,
    undici: viaUndici,
    net: viaNet,
  };
  const read = readers[mode]!;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 200);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let failed = 0;
  await Promise.all(
    Array.from({ length: STREAMS }, async (_, i) => {
      await new Promise((r) => setTimeout(r, Math.floor(i / 200) * 100)); // 2,000 connects/s
      try {
        open++;
        peakOpen = Math.max(peakOpen, open);
        await read(i);
      } catch {
        failed++;
      } finally {
        open--;
      }
    }),
  );
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  process.stdout.write(
    `${JSON.stringify({
      mode,
      streams: STREAMS,
      failed,
      peakOpen,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
      peakRssMB: Math.round(peakRss / 1e6),
      rssPerStreamKB: Math.round((peakRss - 60e6) / peakOpen / 1e3),
      sseEvents: events,
      cpuSeconds: Math.round(cpuSeconds * 10) / 10,
      cpuMicrosecondsPerEvent: Math.round((cpuSeconds * 1e6) / Math.max(1, events)),
    })}\n`,
  );
  process.exit(0);
}

try {
  const fake = await startFakeLlm({ ttftMs: 300, tokensPerSecond: TPS, chunk: 1, tokens: TOKENS });
  const modes = values.mode === 'all' ? MODES : values.mode === 'both' ? ['sdk', 'undici'] : [values.mode!];
  for (const mode of modes) {
    const child = spawn(
      process.execPath,
      [
        ...values['node-flag']!,
        '--import',
        'tsx',
        new URL(import.meta.url).pathname,
        `--streams=${STREAMS}`,
        `--tokens=${TOKENS}`,
        `--tps=${TPS}`,
        `--child=${mode}`,
        `--url=${fake.url}`,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    await new Promise((r) => child.once('exit', r));
  }
} finally {
  await stopAll();
}
