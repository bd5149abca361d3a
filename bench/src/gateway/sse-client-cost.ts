// What one streaming LLM call costs the process that reads it, memory and CPU, isolated from the rest of
// the gateway: N concurrent streams from the benchmark's fake LLM (its own process) read (a) through the
// official Anthropic SDK over Node's fetch (`sdk`), (b) through the same SDK over the gateway's lean
// fetch (`sdk-lean`: undici's dispatcher under the SDK, as the gateway does now), or (c) through
// undici.request with a minimal SSE line parser (`undici`). Resident memory at full concurrency and CPU
// per SSE event, per mode.
// Not run by `npm run bench` (a diagnostic behind the gateway-alone figures):
//   node --import tsx bench/src/gateway/sse-client-cost.ts [--streams 4000] [--mode sdk|sdk-lean|undici|both|all]
//     [--node-flag=--heap-growing-percent=50 --node-flag=--max-semi-space-size=64]
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { Agent, request } from 'undici';
import { createLeanFetch } from '../../../gateway/src/llm/lean-fetch.ts';
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
const STREAMS = Number(values.streams);
const TOKENS = Number(values.tokens);
const TPS = Number(values.tps);

if (values.child) {
  // Child: one mode, its own fresh process.
  const mode = values.child;
  const url = values.url!;
  const client = new Anthropic({
    apiKey: 'k',
    baseURL: url,
    maxRetries: 0,
    ...(mode === 'sdk-lean' ? { fetch: createLeanFetch() } : {}),
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
        await (mode === 'undici' ? viaUndici(i) : viaSdk(i));
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
  const modes =
    values.mode === 'all'
      ? ['sdk', 'sdk-lean', 'undici']
      : values.mode === 'both'
        ? ['sdk', 'undici']
        : [values.mode!];
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
