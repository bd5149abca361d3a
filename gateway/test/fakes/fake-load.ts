// Load check of a fake LLM server (not part of `npm test`): the fake runs in its own process
// (serve.ts), this process opens N concurrent streams through the real SDK.
// Run from gateway/: npx tsx test/fakes/fake-load.ts [streams=10000] [anthropic|openai]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { AnthropicProvider } from '../../src/llm/anthropic.ts';
import { OpenAiProvider } from '../../src/llm/openai.ts';

const STREAMS = Number(process.argv[2] ?? 10_000);
const VENDOR = process.argv[3] ?? 'anthropic';
const TPS = 20;
const WORDS = 40;
const TTFT = 300;
const RAMP_PER_100MS = 500;
const reply = Array.from({ length: WORDS }, (_, i) => `word${i}`).join(' ');

const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    fileURLToPath(new URL('./serve.ts', import.meta.url)),
    `--vendor=${VENDOR}`,
    `--reply=${reply}`,
    `--ttft=${TTFT}`,
    `--tps=${TPS}`,
    '--chunk=2',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const [line] = (await once(child.stdout!, 'data')) as [Buffer];
const { url } = JSON.parse(line.toString()) as { url: string };
const retry = { maxAttempts: 1 };
const provider =
  VENDOR === 'openai'
    ? new OpenAiProvider({ baseUrl: url, retry })
    : new AnthropicProvider({ apiKey: 'k', baseUrl: url, retry });

let open = 0;
let peakOpen = 0;
const firstTokenMs: number[] = [];
const start = performance.now();
const results = await Promise.allSettled(
  Array.from({ length: STREAMS }, async (_, i) => {
    // Spread the connects (500 per 100 ms): a burst of 10,000 overflows the kernel's accept queue
    // (somaxconn) and the dropped SYNs are retried only after 1 s, 3 s...
    await new Promise((r) => setTimeout(r, Math.floor(i / RAMP_PER_100MS) * 100));
    const begun = performance.now();
    let text = '';
    for await (const delta of provider.stream({
      model: 'm',
      messages: [{ role: 'user', content: `hello ${i}` }],
      maxTokens: 100,
    })) {
      if (!text) {
        firstTokenMs.push(performance.now() - begun);
        peakOpen = Math.max(peakOpen, ++open);
      }
      text += delta;
    }
    open--;
    if (text !== reply) throw new Error(`stream ${i}: wrong text`);
  }),
);
const ms = performance.now() - start;
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return ((user + system) / 1e6).toFixed(1);
};
child.kill('SIGTERM');
const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
firstTokenMs.sort((a, b) => a - b);
const q = (p: number) => firstTokenMs[Math.floor(p * (firstTokenMs.length - 1))]?.toFixed(0);
console.log(
  `${VENDOR}: ${STREAMS} concurrent streams of ${WORDS} words at ${TPS} tok/s (ideal ${TTFT + (WORDS / TPS) * 1000} ms each, connects spread over ${(STREAMS / RAMP_PER_100MS / 10).toFixed(1)} s): ` +
    `all done in ${ms.toFixed(0)} ms, ${failed.length} failed, peak ${peakOpen} streaming at once, ` +
    `first token p50 ${q(0.5)} ms p99 ${q(0.99)} ms, client cpu ${cpuSeconds()} s, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
);
if (failed.length) console.log('first failure:', String(failed[0]!.reason));
