// Benchmark: the web app in Chromium, the time from an edit arriving over /sync to its text on
// screen. A second real user (playing the bot) streams m.replace edits through the real Synapse;
// the page measures, for each edit, from the end of the /sync response that carried it (resource
// timing) to the first animation frame after its text entered the DOM. Prints p50/p99 and writes
// bench/results/app-render.json at the repo root.
//   npm run bench -w app        (EDITS=200 to change the number of edits)
import '@clawchat/common/polyfills';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getTestHomeserver, uniqueLocalpart } from '@clawchat/local-synapse/harness';
import { buildWeb } from '../scripts/build-web.mjs';
import { serveWeb } from '../scripts/serve-web.mjs';
import { launchChromium } from '../test/browser/support/chromium.ts';
import { botUser } from '../test/support/bot-user.ts';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = resolve(appDir, '..');
const EDITS = Number(process.env.EDITS ?? 120);
const WARMUP = 10;
// The default build's bot (lib/config.ts): the benchmark's second user takes that name, so the
// ordinary `npm run build:web` output is measured, and reused when nothing changed.
const BOT_LOCALPART = 'clawbot';

// Runs in the page before the app: counts renders and records /sync arrivals and when each
// marker's text is first painted. A string, so that no bundler helper leaks into the page.
const PAGE_PROBE = `(() => {
  globalThis.__clawchatRenderCounts = {};
  const probe = { syncEnds: [], seen: {} };
  globalThis.__probe = probe;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name.includes('/sync')) probe.syncEnds.push(e.responseEnd);
  }).observe({ type: 'resource', buffered: true });
  const check = () => {
    const want = probe.want;
    if (!want || probe.seen[want] !== undefined) return;
    const bubbles = document.querySelectorAll('[data-testid^="bubble-"]');
    for (const el of bubbles) {
      if (el.textContent && el.textContent.includes(want)) {
        const inDom = performance.now();
        probe.seen[want] = -1;
        requestAnimationFrame(() => { probe.seen[want] = { inDom, painted: performance.now() }; });
        return;
      }
    }
  };
  const start = () => new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true });
  if (document.body) start(); else addEventListener('DOMContentLoaded', start);
})()`;

interface Seen {
  inDom: number;
  painted: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

const round = (n: number) => Math.round(n * 100) / 100;

async function main() {
  const hs = await getTestHomeserver();
  const me = await hs.registerUser({ localpart: uniqueLocalpart('bench') });
  // On a homeserver shared with other runs the default name may be taken: then a build of its own.
  const defaultBot = await hs.registerUser({ localpart: BOT_LOCALPART }).catch(() => undefined);
  const botAccount = defaultBot ?? (await hs.registerUser({ localpart: uniqueLocalpart('benchbot') }));
  const build = defaultBot
    ? { outDir: join(appDir, 'dist') }
    : {
        outDir: join(appDir, '.artifacts', 'web-bench'),
        env: { ...process.env, EXPO_PUBLIC_BOT_USER_ID: botAccount.userId },
      };
  const bot = botUser(hs.baseUrl, botAccount);
  const user = botUser(hs.baseUrl, me);

  const roomId = await user.createRoom({
    preset: 'trusted_private_chat',
    is_direct: true,
    invite: [bot.userId],
  });
  await bot.join(roomId);
  const question = await user.send(roomId, { msgtype: 'm.text', body: 'Benchmark question' });

  console.log('[bench] building the web app (skipped when up to date)…');
  await buildWeb({ ...build, quiet: true });
  const web = await serveWeb({ dir: build.outDir, port: 0, host: '127.0.0.1' });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await page.addInitScript(PAGE_PROBE);
    await page.goto(`${web.url}/login`);
    await page.evaluate(
      `localStorage.setItem('clawchat.session.v1', ${JSON.stringify(
        JSON.stringify({
          homeserverUrl: hs.baseUrl,
          userId: me.userId,
          accessToken: me.accessToken,
          deviceId: me.deviceId,
        }),
      )})`,
    );
    await page.goto(`${web.url}/${encodeURIComponent(roomId)}`);
    // In the bubbles: the wide layout also shows the conversation list, whose preview quotes the text.
    await page.getByTestId('bubble-plain').filter({ hasText: 'Benchmark question' }).waitFor();

    const stream = (state: string) => ({ 'org.clawchat.stream': { state } });
    let text = 'Streaming reply';
    const replyId = await bot.send(roomId, {
      msgtype: 'm.text',
      body: text,
      ...stream('streaming'),
      'm.relates_to': { 'm.in_reply_to': { event_id: question } },
    });
    await page.getByTestId('bubble-streaming').filter({ hasText: 'Streaming reply' }).waitFor();

    const countsBefore = (await page.evaluate('({ ...globalThis.__clawchatRenderCounts })')) as Record<
      string,
      number
    >;
    const latencies: number[] = [];
    const domLatencies: number[] = [];
    const total = WARMUP + EDITS;
    for (let i = 0; i < total; i += 1) {
      const marker = `tok${i}x`;
      text += ` ${marker}`;
      await page.evaluate(`globalThis.__probe.want = ${JSON.stringify(marker)}`);
      await bot.send(roomId, {
        msgtype: 'm.text',
        body: `* ${text}`,
        'm.new_content': { msgtype: 'm.text', body: text, ...stream(i === total - 1 ? 'done' : 'streaming') },
        'm.relates_to': { rel_type: 'm.replace', event_id: replyId },
      });
      await page.waitForFunction(
        `(() => { const s = globalThis.__probe.seen[${JSON.stringify(marker)}]; return s && s !== -1; })()`,
      );
      if (i < WARMUP) continue;
      const { seen, syncEnd } = (await page.evaluate(`(() => {
        const p = globalThis.__probe;
        const seen = p.seen[${JSON.stringify(marker)}];
        const before = p.syncEnds.filter((t) => t <= seen.inDom);
        return { seen, syncEnd: before.length ? Math.max(...before) : null };
      })()`)) as { seen: Seen; syncEnd: number | null };
      if (syncEnd === null) throw new Error(`no /sync response was seen before edit ${i} appeared`);
      latencies.push(seen.painted - syncEnd);
      domLatencies.push(seen.inDom - syncEnd);
    }

    const countsAfter = (await page.evaluate('globalThis.__clawchatRenderCounts')) as Record<string, number>;
    // Renders during the stream only (the page's first render is not the stream's doing).
    const counts = Object.fromEntries(
      Object.entries(countsAfter).map(([name, n]) => [name, n - (countsBefore[name] ?? 0)]),
    );
    const rowRenders = Object.entries(counts)
      .filter(([name]) => name.startsWith('MessageRow:'))
      .sort((a, b) => b[1] - a[1]);
    const sorted = [...latencies].sort((a, b) => a - b);
    const sortedDom = [...domLatencies].sort((a, b) => a - b);
    const result = {
      benchmark: 'app-render',
      description:
        'Web build in Chromium: time from the end of the /sync response carrying an m.replace edit to the first animation frame after its text is in the DOM',
      date: new Date().toISOString(),
      edits: EDITS,
      warmup: WARMUP,
      latencyMs: {
        p50: round(percentile(sorted, 50)),
        p90: round(percentile(sorted, 90)),
        p99: round(percentile(sorted, 99)),
        mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
        min: round(sorted[0]!),
        max: round(sorted[sorted.length - 1]!),
      },
      toDomMs: { p50: round(percentile(sortedDom, 50)), p99: round(percentile(sortedDom, 99)) },
      renders: {
        chatScreen: counts.ChatScreen ?? 0,
        messageRowTotal: counts.MessageRow ?? 0,
        streamedMessageRow: rowRenders[0]?.[1] ?? 0,
        otherMessageRows: rowRenders.slice(1).reduce((a, [, n]) => a + n, 0),
      },
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round(totalmem() / 2 ** 30),
      },
      browser: `Chromium ${browser.version()}`,
      synapse: hs.synapseVersion,
    };

    console.log(
      `[bench] app-render: ${EDITS} edits, sync → text on screen: p50 ${result.latencyMs.p50} ms, p90 ${result.latencyMs.p90} ms, p99 ${result.latencyMs.p99} ms (max ${result.latencyMs.max} ms); into the DOM: p50 ${result.toDomMs.p50} ms`,
    );
    console.log(
      `[bench] renders during the stream: chat screen ${result.renders.chatScreen}, streamed bubble ${result.renders.streamedMessageRow}, other bubbles ${result.renders.otherMessageRows}`,
    );
    const out = join(repoDir, 'bench', 'results', 'app-render.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`[bench] wrote ${out}`);
  } finally {
    await browser.close();
    await web.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
