// The gateway alone, its ceiling: one gateway process (a real child process) between a Matrix
// homeserver stand-in (this process: it pushes application-service transactions as Synapse does, one
// in flight at a time, at most 100 events each, and accepts the /send calls) and a fake LLM (its own
// process, streaming the Anthropic wire format with a set time to first token and tokens/s).
// Ramps to N concurrent conversations (one message → one streamed reply each) and measures the latency
// the gateway adds, replies lost/doubled/wrong, the edits/s it puts on the homeserver against the
// budget, and the gateway's CPU and peak RSS. Verdict against the targets: N = 10,000 at once,
// gateway-added p99 < 100 ms, none lost or doubled, RSS < 1 GB.
//   node --import tsx bench/src/gateway/alone.ts [--conversations 10000] [--ramp-seconds 20]
//     [--ttft 300] [--tps 20] [--chunk 10] [--tokens 600] [--edit-budget 50] [--edit-interval 1000]
//     [--backend memory|redis|both] [--max-concurrent N] [--homeserver-connections 32] [--timeout-seconds 150]
//     [--heap-growing-percent P] [--queue-journal] [--llm-tls] [--runs N]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { freePort } from '@clawchat/local-synapse';
import { writeResult } from '../results.ts';
import { summarize } from '../stats.ts';
import {
  BOT,
  backendsOf,
  cpuFigures,
  homeserverErrors,
  machineFigures,
  now,
  num,
  redisResult,
  round,
  SERVER,
  sleep,
  streamOptions,
  streamSettings,
  streamSettingsResult,
} from './common.ts';
import { replyText } from './fake-llm-text.ts';
import { ProcSampler, peakRssFromKernelMB } from './proc-sampler.ts';
import {
  fakeLlmGatewayEnv,
  fakeLlmTimings,
  fakeLlmTransport,
  gatewayBuildLabel,
  gatewayRevision,
  histogramQuantile,
  scrapeMetrics,
  startFakeLlm,
  startGateway,
  stopAll,
  stopChild,
  warmFakeLlm,
} from './procs.ts';
import { deleteKeys, redisCpuSeconds, redisPid } from './redis-util.ts';
import { type ConversationSteps, describeSlowTail, slowTail } from './slow-tail.ts';
import { StandinHomeserver } from './standin-homeserver.ts';

const { values } = parseArgs({
  options: {
    conversations: { type: 'string', default: '10000' },
    'ramp-seconds': { type: 'string', default: '20' },
    ...streamOptions({ tps: '20', chunk: '10', tokens: '600' }),
    'max-concurrent': { type: 'string' },
    'homeserver-connections': { type: 'string', default: '32' },
    'timeout-seconds': { type: 'string', default: '150' },
    /** Runs of the same set-up per backend, each with fresh processes: their spread is the run-to-run noise. */
    runs: { type: 'string', default: '1' },
    /**
     * Each conversation is a new room as the app makes one: the user's invite of the bot comes just
     * before the message (same transaction). Without it, the rooms are ones the bot is already in but
     * the gateway's store knows nothing about (a new process without Redis): the history look-up case.
     */
    invite: { type: 'boolean', default: false },
    /** The gateway's HEAP_GROWING_PERCENT (0: V8's own heap growth); unset: the gateway's default. */
    'heap-growing-percent': { type: 'string' },
    /** The gateway's LLM_THREAD_YOUNG_GENERATION_MB (0: V8's own); unset: the gateway's default. */
    'thread-young-generation-mb': { type: 'string' },
    /** The memory backend on a queue journal (QUEUE_JOURNAL_FILE in a temporary folder), as `npm start` runs. */
    'queue-journal': { type: 'boolean', default: false },
    /** Writes a V8 CPU profile of the gateway process (--cpu-prof) into this directory. */
    'gateway-cpu-prof': { type: 'string' },
    /** A V8/Node flag for the gateway process, e.g. --gateway-node-flag=--max-semi-space-size=64 (repeatable). */
    'gateway-node-flag': { type: 'string', multiple: true, default: [] },
  },
  strict: true,
});

/** Flags that set a gateway setting as they are; unset, the gateway's default holds. */
const GATEWAY_SETTING_FLAGS = {
  'heap-growing-percent': 'HEAP_GROWING_PERCENT',
  'thread-young-generation-mb': 'LLM_THREAD_YOUNG_GENERATION_MB',
} as const;

const N = Math.floor(num('conversations', values.conversations, 1));
const rampSeconds = num('ramp-seconds', values['ramp-seconds']);
const streamArgs = streamSettings(values);
const { ttftMs, tps, chunk, tokens, editBudget, editInterval } = streamArgs;
const maxConcurrent = Math.floor(num('max-concurrent', values['max-concurrent'] ?? String(N), 1));
const hsConnections = Math.floor(num('homeserver-connections', values['homeserver-connections'], 1));
const timeoutSeconds = num('timeout-seconds', values['timeout-seconds'], 10);
const backends = backendsOf(values.backend);
const repeat = Math.floor(num('runs', values.runs, 1));

const MAX_EVENTS_PER_TXN = 100; // as Synapse
const streamSeconds = tps > 0 ? tokens / tps : 0;

const TARGET = { conversations: 10_000, addedP99Ms: 100, rssMB: 1024 };

interface Conversation {
  i: number;
  tag: string;
  roomId: string;
  dueAt: number;
  pushedAt?: number;
  ackedAt?: number;
}

async function runOnce(backend: string) {
  const label = `[gateway-alone ${backend}]`;
  const hsToken = randomBytes(24).toString('base64url');
  const asToken = randomBytes(24).toString('base64url');
  const redisPrefix = `clawchat-bench:${randomBytes(4).toString('hex')}:`;
  const conversations: Conversation[] = Array.from({ length: N }, (_, i) => ({
    i,
    tag: `conv-${i}`,
    roomId: `!bench${i}:${SERVER}`,
    dueAt: 0,
  }));
  const byRoom = new Map(conversations.map((c) => [c.roomId, c]));

  const fake = await startFakeLlm({ ttftMs, tokensPerSecond: tps, chunk, tokens, tls: streamArgs.llmTls });
  await warmFakeLlm(fake);
  const hs = new StandinHomeserver(BOT, (roomId) => {
    const c = byRoom.get(roomId);
    return c ? [`@benchuser${c.i}:${SERVER}`, BOT] : [BOT];
  });
  let streamingNow = 0;
  let peakStreaming = 0;
  let finals = 0;
  hs.onFirstReply = (_roomId, record) => {
    if (record.finalAt === undefined) {
      streamingNow += 1;
      peakStreaming = Math.max(peakStreaming, streamingNow);
    }
  };
  hs.onFinal = (_roomId, record) => {
    finals += 1;
    if (record.firstReplyAt !== undefined && record.firstReplyAt !== record.finalAt) streamingNow -= 1;
  };
  const hsPort = await hs.listen();
  const gatewayPort = await freePort();
  const env: Record<string, string> = {
    GATEWAY_PORT: String(gatewayPort),
    GATEWAY_HOST: '127.0.0.1',
    MATRIX_HOMESERVER_URL: `http://127.0.0.1:${hsPort}`,
    MATRIX_SERVER_NAME: SERVER,
    AS_TOKEN: asToken,
    HS_TOKEN: hsToken,
    AS_ID: 'clawchat-bench',
    AS_SENDER_LOCALPART: 'clawbot',
    ...fakeLlmGatewayEnv(fake),
    EDIT_BUDGET_PER_SECOND: String(editBudget),
    LLM_STREAM_THREADS: String(streamArgs.streamThreads),
    EDIT_INTERVAL_MS: String(editInterval),
    MAX_CONCURRENT_LLM_CALLS: String(maxConcurrent),
    HOMESERVER_CONNECTIONS: String(hsConnections),
    LOG_LEVEL: 'warn',
  };
  for (const [flag, key] of Object.entries(GATEWAY_SETTING_FLAGS)) {
    const value = values[flag as keyof typeof GATEWAY_SETTING_FLAGS];
    if (value !== undefined) env[key] = String(Math.floor(num(flag, value)));
  }
  const journalDir =
    backend === 'memory' && values['queue-journal']
      ? mkdtempSync(join(tmpdir(), 'clawchat-bench-journal-'))
      : undefined;
  if (journalDir) env.QUEUE_JOURNAL_FILE = join(journalDir, 'queue.jsonl');
  if (backend === 'redis') {
    env.REDIS_URL = 'redis://127.0.0.1:6379';
    env.REDIS_KEY_PREFIX = redisPrefix;
  }
  const nodeArgs = [
    ...values['gateway-node-flag'],
    ...(values['gateway-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['gateway-cpu-prof']}`] : []),
  ];
  const gateway = await startGateway(env, gatewayPort, nodeArgs, streamArgs.gatewayBuild);
  const gatewayPid = gateway.child.pid!;
  console.log(
    `${label} gateway pid ${gatewayPid} on :${gatewayPort}, stand-in homeserver :${hsPort}, fake LLM ${fake.url} (pid ${fake.child.pid})`,
  );

  const sampler = new ProcSampler();
  sampler.watch('gateway', gatewayPid);
  sampler.watch('fake-llm', fake.child.pid!);
  sampler.watch('driver+stand-in', process.pid);
  const rPid = backend === 'redis' ? redisPid() : undefined;
  if (rPid) sampler.watch('redis', rPid);
  const redisCpuBefore = backend === 'redis' ? redisCpuSeconds() : undefined;
  const lastCores: Record<string, number> = {};
  let peakGatewayRss = 0;
  sampler.onSample = (_at, byName) => {
    for (const [name, v] of Object.entries(byName)) lastCores[name] = v.cores;
    peakGatewayRss = Math.max(peakGatewayRss, byName.gateway?.rssMB ?? 0);
  };
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  sampler.start(500);

  // The pusher: Synapse's behaviour towards one application service (one transaction in flight,
  // the events that became due meanwhile batched, at most 100 per transaction, retried on failure).
  const pending: Conversation[] = [];
  const txnLatencies: number[] = [];
  let txnSeq = 0;
  let txnFailures = 0;
  let pushed = 0;
  let pushing = true;
  let wake: (() => void) | undefined;
  const pusher = (async () => {
    while (pushing || pending.length > 0) {
      if (pending.length === 0) {
        await new Promise<void>((r) => {
          wake = r;
        });
        wake = undefined;
        continue;
      }
      const batch = pending.splice(0, values.invite ? MAX_EVENTS_PER_TXN / 2 : MAX_EVENTS_PER_TXN);
      const txnId = `bench${++txnSeq}`;
      const body = JSON.stringify({
        events: batch.flatMap((c) => [
          ...(values.invite
            ? [
                {
                  type: 'm.room.member',
                  event_id: `$invite${c.i}`,
                  room_id: c.roomId,
                  sender: `@benchuser${c.i}:${SERVER}`,
                  state_key: BOT,
                  origin_server_ts: Date.now(),
                  content: { membership: 'invite', is_direct: true },
                  unsigned: { age: 0 },
                },
              ]
            : []),
          {
            type: 'm.room.message',
            event_id: `$msg${c.i}`,
            room_id: c.roomId,
            sender: `@benchuser${c.i}:${SERVER}`,
            origin_server_ts: Date.now(),
            content: { msgtype: 'm.text', body: `${c.tag}: hello, please tell me something long.` },
            unsigned: { age: 0 },
          },
        ]),
      });
      for (let attempt = 1; attempt <= 10; attempt++) {
        const t = now();
        for (const c of batch) c.pushedAt ??= t;
        try {
          const response = await fetch(
            `http://127.0.0.1:${gatewayPort}/_matrix/app/v1/transactions/${txnId}`,
            {
              method: 'PUT',
              headers: { authorization: `Bearer ${hsToken}`, 'content-type': 'application/json' },
              body,
            },
          );
          await response.arrayBuffer();
          if (response.ok) {
            const acked = now();
            txnLatencies.push(acked - t);
            for (const c of batch) c.ackedAt = acked;
            pushed += batch.length;
            break;
          }
          txnFailures += 1;
        } catch {
          txnFailures += 1;
        }
        await sleep(Math.min(1000 * attempt, 5000));
      }
    }
  })();

  const start = now();
  hs.t0 = start;
  const rampMs = rampSeconds * 1000;
  let released = 0;
  const gatewayTimeline: Array<Record<string, number>> = [];
  let lastGcSeconds = 0;
  const busy = { at: now(), main: 0, stream: 0 };
  const progress = setInterval(async () => {
    const t = (now() - start) / 1000;
    const m = await scrapeMetrics(gatewayPort, true);
    // Event-loop busy time per second of the interval: near 1, that thread is where work queues.
    const busyNow = {
      at: now(),
      main: m['clawchat_event_loop_busy_seconds_total{thread="main"}'] ?? 0,
      stream: m['clawchat_event_loop_busy_seconds_total{thread="llm-stream"}'] ?? 0,
    };
    const busySpan = Math.max(1, busyNow.at - busy.at) / 1000;
    const gcSeconds = Object.entries(m)
      .filter(([k]) => k.startsWith('clawchat_gateway_nodejs_gc_duration_seconds_sum'))
      .reduce((a, [, v]) => a + v, 0);
    const point = {
      t: round(t, 0),
      eventLoopLagMaxMs: round((m.clawchat_gateway_nodejs_eventloop_lag_max_seconds ?? 0) * 1000, 0),
      eventLoopLagP99Ms: round((m.clawchat_gateway_nodejs_eventloop_lag_p99_seconds ?? 0) * 1000, 0),
      gcSecondsInInterval: round(gcSeconds - lastGcSeconds, 2),
      heapUsedMB: round((m.clawchat_gateway_nodejs_heap_size_used_bytes ?? 0) / 1e6, 0),
      repliesInProgress: m.clawchat_replies_in_progress ?? 0,
      queueDepth: m.clawchat_queue_depth ?? 0,
      editBudgetWaiting: m.clawchat_edit_budget_waiting ?? 0,
      mainThreadBusy: round((busyNow.main - busy.main) / busySpan, 2),
      streamThreadsBusy: round((busyNow.stream - busy.stream) / busySpan, 2),
    };
    Object.assign(busy, busyNow);
    lastGcSeconds = gcSeconds;
    gatewayTimeline.push(point);
    console.log(
      `${label}   gateway: event loop lag max ${point.eventLoopLagMaxMs} ms p99 ${point.eventLoopLagP99Ms} ms, GC ${point.gcSecondsInInterval} s in 5 s, heap ${point.heapUsedMB} MB, replies in progress ${point.repliesInProgress}, queue ${point.queueDepth}, waiting for edit budget ${point.editBudgetWaiting}; event loops busy: main ${point.mainThreadBusy}, LLM stream threads ${point.streamThreadsBusy} (of ${streamArgs.streamThreads})`,
    );
    console.log(
      `${label} t=${t.toFixed(0)}s pushed ${pushed}/${N}, homeserver ${hs.requestsPerSecond.at(-2) ?? 0} req/s, streaming ${streamingNow} (peak ${peakStreaming}), done ${finals}, ` +
        `gateway ${lastCores.gateway ?? 0} cores ${sampler.sampleCount ? `${peakGatewayRss} MB peak` : ''}, fake ${lastCores['fake-llm'] ?? 0} cores, driver ${lastCores['driver+stand-in'] ?? 0} cores`,
    );
  }, 5000);
  // Ramp: conversations become due evenly over the ramp.
  while (released < N) {
    const elapsed = now() - start;
    const due = rampMs > 0 ? Math.min(N, Math.floor((elapsed / rampMs) * N) + 1) : N;
    const t = now();
    for (; released < due; released++) {
      const c = conversations[released]!;
      c.dueAt = t;
      pending.push(c);
    }
    wake?.();
    if (released < N) await sleep(20);
  }
  pushing = false;
  wake?.();
  await pusher;

  // Until every reply has its final edit, or the time limit.
  const deadline = start + (rampSeconds + ttftMs / 1000 + streamSeconds + timeoutSeconds) * 1000;
  while (finals < N && now() < deadline && !gateway.exitInfo()) await sleep(200);
  const allDoneAt = now();
  await sleep(2000); // late duplicates would show here
  clearInterval(progress);

  const metrics = await scrapeMetrics(gatewayPort);
  const kernelPeakRss = peakRssFromKernelMB(gatewayPid);
  const processes = sampler.stop();
  const machine = sampler.machine(processes);
  lag.disable();
  const redisCpuAfter = backend === 'redis' ? redisCpuSeconds() : undefined;
  const timing = await fakeLlmTimings(fake);
  const shutdownStart = now();
  await stopChild(gateway.child, 20_000);
  const shutdownMs = now() - shutdownStart;
  if (journalDir) rmSync(journalDir, { recursive: true, force: true });
  await stopChild(fake.child);
  await hs.close();
  const keysDeleted = backend === 'redis' ? deleteKeys(redisPrefix) : 0;

  // Per conversation.
  const pushToFirstPost: number[] = [];
  const added: number[] = [];
  const preLlm: number[] = [];
  const tokenToPost: number[] = [];
  const lastTokenToFinal: number[] = [];
  const llmTtft: number[] = [];
  const txnAck: number[] = [];
  const dueToMembers: number[] = [];
  const dueToHistory: number[] = [];
  const historyToLlm: number[] = [];
  const steps: ConversationSteps[] = [];
  let lost = 0;
  let doubled = 0;
  let wrongText = 0;
  let notDone = 0;
  let noLlmCall = 0;
  const examples: string[] = [];
  /** Gateway-added latency by the second of the ramp its message was due in. */
  const addedBySecond: number[][] = [];
  for (const c of conversations) {
    const record = hs.rooms.get(c.roomId);
    const t = timing.timings[c.tag];
    if (c.ackedAt !== undefined) txnAck.push(c.ackedAt - c.dueAt);
    if (!t) noLlmCall += 1;
    if (!record || record.replyTxns.size === 0) {
      lost += 1;
      if (examples.length < 5)
        examples.push(`${c.tag}: no reply${record?.notices ? ` (notice: ${record.noticeBodies[0]})` : ''}`);
      continue;
    }
    if (record.replyTxns.size > 1 || record.txnConflicts > 0) {
      doubled += 1;
      if (examples.length < 5)
        examples.push(
          `${c.tag}: ${record.replyTxns.size} replies, ${record.txnConflicts} conflicting re-sends`,
        );
    }
    if (record.finalState !== 'done') {
      notDone += 1;
      if (examples.length < 5) examples.push(`${c.tag}: final state ${record.finalState ?? '(none)'}`);
    } else if (record.finalBody !== replyText(c.tag, tokens)) {
      wrongText += 1;
      if (examples.length < 5) examples.push(`${c.tag}: final text differs`);
    }
    const calls = record.firstCallAt;
    if (calls.joined_members !== undefined) dueToMembers.push(calls.joined_members - c.dueAt);
    if (calls.messages !== undefined) {
      dueToHistory.push(calls.messages - c.dueAt);
      if (t) historyToLlm.push(t[0] - calls.messages);
    }
    const first = record.firstReplyAt!;
    pushToFirstPost.push(first - c.dueAt);
    if (t && t[1] > 0) {
      const ownTtft = t[1] - t[0];
      llmTtft.push(ownTtft);
      const addedMs = first - c.dueAt - ownTtft;
      added.push(addedMs);
      const second = Math.max(0, Math.floor((c.dueAt - start) / 1000));
      addedBySecond[second] ??= [];
      addedBySecond[second].push(addedMs);
      preLlm.push(t[0] - c.dueAt);
      steps.push({
        dueSecond: second,
        addedMs,
        ackMs: c.ackedAt === undefined ? undefined : c.ackedAt - c.dueAt,
        joinedMembersMs: calls.joined_members === undefined ? undefined : calls.joined_members - c.dueAt,
        typingMs: calls.typing === undefined ? undefined : calls.typing - c.dueAt,
        llmRequestMs: t[0] - c.dueAt,
        firstTokenMs: t[1] - c.dueAt,
        firstPostMs: first - c.dueAt,
      });
      tokenToPost.push(first - t[1]);
      if (record.finalAt !== undefined && t[2] > 0) lastTokenToFinal.push(record.finalAt - t[2]);
    }
  }

  // Events the homeserver would store, per second, while replies were streaming.
  const seconds = hs.perSecond;
  const firstActive = seconds.findIndex((s) => s.post > 0);
  let lastActive = seconds.length - 1;
  while (lastActive > 0 && seconds[lastActive]!.final + seconds[lastActive]!.edit === 0) lastActive--;
  const window = firstActive >= 0 ? seconds.slice(firstActive, lastActive + 1) : [];
  const totals = window.map((s) => s.post + s.edit + s.final + s.notice);
  const edits = window.map((s) => s.edit);
  const editsAndFinals = window.map((s) => s.edit + s.final);
  const mean = (xs: number[]) => (xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length) : 0);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  // The stretch where everything had been pushed and replies were still streaming (no first posts).
  const steady = window.filter((s, i) => i > 0 && s.post === 0 && s.edit + s.final > 0);

  const gatewayFigures = processes.find((p) => p.name === 'gateway')!;
  const addedSummary = summarize(added);
  const completed = N - lost - notDone;
  const gatewayPeakRssMB = Math.max(kernelPeakRss ?? 0, gatewayFigures.peakRssMB);
  const verdict = {
    heldConcurrently: peakStreaming,
    concurrentTargetMet: N >= TARGET.conversations && peakStreaming >= TARGET.conversations,
    addedP99Ms: addedSummary.p99,
    latencyTargetMet: addedSummary.p99 < TARGET.addedP99Ms,
    noneLostOrDoubled: lost === 0 && doubled === 0 && notDone === 0 && wrongText === 0,
    rssMB: gatewayPeakRssMB,
    memoryTargetMet: gatewayPeakRssMB < TARGET.rssMB,
  };
  const pass =
    verdict.concurrentTargetMet &&
    verdict.latencyTargetMet &&
    verdict.noneLostOrDoubled &&
    verdict.memoryTargetMet;
  return {
    backend,
    pass,
    verdict,
    conversations: N,
    completedDone: completed,
    lost,
    doubled,
    notDone,
    wrongFinalText: wrongText,
    noLlmCall,
    examples,
    timedOut: finals < N,
    gatewayExit: gateway.exitInfo() ?? null,
    durationSeconds: round((allDoneAt - start) / 1000),
    peakStreamingAtOnce: peakStreaming,
    fakeLlm: {
      requests: timing.requests,
      completed: timing.completed,
      cut: timing.cut,
      peakConcurrentStreams: timing.peakActive,
      eventLoopLagMs: timing.eventLoopLagMs,
      sseEventsPerSecondAtFullConcurrency:
        tps > 0 ? round((Math.min(N, timing.peakActive) * tps) / chunk, 0) : null,
    },
    latencyMs: {
      gatewayAdded: addedSummary,
      /** Where the tail is: the first second holds the process's cold start (JIT, first connections). */
      gatewayAddedBySecondOfRamp: Array.from(addedBySecond, (xs) => summarize(xs ?? [])),
      gatewayAddedAfterFirstSecond: summarize(addedBySecond.slice(1).flatMap((xs) => xs ?? [])),
      /** The slowest 1% (at least 10) and the median of each of their steps: which step made the tail. */
      slowTail: slowTail(steps),
      gatewayAddedNote:
        'push of the transaction → first /send of the reply, minus the fake LLM’s own time to first token for that request (its first token write − request arrival)',
      pushToFirstPost: summarize(pushToFirstPost),
      preLlm: summarize(preLlm),
      preLlmNote: 'event due at the pusher → LLM request arrived at the fake (intake, queue, history, SDK)',
      dueToJoinedMembersRequest: summarize(dueToMembers),
      dueToHistoryRequest: summarize(dueToHistory),
      historyRequestToLlmRequest: summarize(historyToLlm),
      firstTokenToFirstPost: summarize(tokenToPost),
      lastTokenToFinalEdit: summarize(lastTokenToFinal),
      llmOwnTtft: summarize(llmTtft),
      transactionRoundTrip: summarize(txnLatencies),
      eventDueToTransactionAck: summarize(txnAck),
      transactionFailures: txnFailures,
      driverEventLoopLagP99: round(lag.percentile(99) / 1e6),
    },
    homeserver: {
      editBudgetPerSecond: editBudget,
      inviteFirst: values.invite ?? false,
      editIntervalMs: editInterval,
      storedEventsPerSecond: { mean: mean(totals), peak: Math.max(0, ...totals) },
      streamingEditsPerSecond: { mean: mean(edits), peak: Math.max(0, ...edits) },
      editsAndFinalsPerSecond: { mean: mean(editsAndFinals), peak: Math.max(0, ...editsAndFinals) },
      steadyStateNote: 'seconds with no first posts (everything pushed), edits and final edits only',
      steadyStateEventsPerSecond: mean(steady.map((s) => s.edit + s.final)),
      steadyStateStreamingEditsPerSecond: mean(steady.map((s) => s.edit)),
      totals: {
        firstPosts: sum(window.map((s) => s.post)),
        streamingEdits: sum(edits),
        finalEdits: sum(window.map((s) => s.final)),
        notices: sum(window.map((s) => s.notice)),
      },
      requestsByEndpoint: hs.requests,
      /** Rooms whose last typing call from the bot was a start: "typing..." would show until it lapses. */
      roomsLeftTyping: hs.typingLeftOn(),
      requestsPerSecond: hs.requestsPerSecond,
      connectionsOpened: hs.connections,
      unknownRoutes: hs.unknownRoutes,
      timeline: window.map((s) => [s.post, s.edit, s.final]),
    },
    gateway: {
      pid: gatewayPid,
      peakRssMB: gatewayPeakRssMB,
      cpuSeconds: gatewayFigures.cpuSeconds,
      meanCores: gatewayFigures.meanCores,
      peakCores: gatewayFigures.peakCores,
      shutdownMs: round(shutdownMs, 0),
      timeline: gatewayTimeline,
      logLines: gateway.logCounts,
      firstProblems: gateway.firstProblems,
      metrics: {
        firstPostLatencyP50s: histogramQuantile(metrics, 'clawchat_first_post_latency_seconds', 0.5),
        firstPostLatencyP99s: histogramQuantile(metrics, 'clawchat_first_post_latency_seconds', 0.99),
        editsSent: Object.fromEntries(
          Object.entries(metrics).filter(([k]) => k.startsWith('clawchat_edits_sent_total')),
        ),
        replies: Object.fromEntries(
          Object.entries(metrics).filter(([k]) => k.startsWith('clawchat_replies_total')),
        ),
        llmErrors: Object.fromEntries(
          Object.entries(metrics).filter(([k]) => k.startsWith('clawchat_llm_errors_total')),
        ),
        homeserverErrors: homeserverErrors(metrics),
      },
    },
    processes,
    machine,
    redis: redisResult(backend, redisCpuBefore, redisCpuAfter, keysDeleted),
  };
}

function report(r: Awaited<ReturnType<typeof runOnce>>): void {
  const l = `[gateway-alone ${r.backend}]`;
  const lat = r.latencyMs;
  console.log(
    `${l} ${r.conversations} conversations in ${r.durationSeconds} s: ${r.completedDone} done, ${r.lost} lost, ${r.doubled} doubled, ` +
      `${r.notDone} not done, ${r.wrongFinalText} wrong final text; peak ${r.peakStreamingAtOnce} streaming at once (fake LLM peak ${r.fakeLlm.peakConcurrentStreams} streams)`,
  );
  console.log(
    `${l} gateway-added latency p50 ${lat.gatewayAdded.p50} ms p99 ${lat.gatewayAdded.p99} ms (max ${lat.gatewayAdded.max}); ` +
      `before the LLM call p50 ${lat.preLlm.p50} p99 ${lat.preLlm.p99} ms (due → joined_members p50 ${lat.dueToJoinedMembersRequest.p50}, → /messages p50 ${lat.dueToHistoryRequest.p50}, /messages → LLM request p50 ${lat.historyRequestToLlmRequest.p50} p99 ${lat.historyRequestToLlmRequest.p99}); first token → first post p50 ${lat.firstTokenToFirstPost.p50} p99 ${lat.firstTokenToFirstPost.p99} ms; ` +
      `last token → final edit p50 ${lat.lastTokenToFinalEdit.p50} p99 ${lat.lastTokenToFinalEdit.p99} ms; transaction ack p99 ${lat.transactionRoundTrip.p99} ms`,
  );
  console.log(
    `${l} gateway-added p99 by second of the ramp: ${lat.gatewayAddedBySecondOfRamp.map((x) => Math.round(x.p99)).join(' ')} ms; ` +
      `after the first second (the process's cold start) p50 ${lat.gatewayAddedAfterFirstSecond.p50} p99 ${lat.gatewayAddedAfterFirstSecond.p99} ms`,
  );
  console.log(`${l} ${describeSlowTail(lat.slowTail)}`);
  const h = r.homeserver;
  console.log(
    `${l} homeserver events/s (budget ${h.editBudgetPerSecond}): all stored events mean ${h.storedEventsPerSecond.mean} peak ${h.storedEventsPerSecond.peak}; ` +
      `streaming edits mean ${h.streamingEditsPerSecond.mean} peak ${h.streamingEditsPerSecond.peak}; edits+finals mean ${h.editsAndFinalsPerSecond.mean} peak ${h.editsAndFinalsPerSecond.peak}; ` +
      `totals ${JSON.stringify(h.totals)}; requests ${JSON.stringify(h.requestsByEndpoint)}; rooms left showing typing ${h.roomsLeftTyping}`,
  );
  console.log(`${l} CPU: ${cpuFigures(r.processes)}${r.redis ? `; redis ${r.redis.cpuSeconds} s` : ''}`);
  console.log(
    `${l} ${machineFigures(r.machine)}` +
      (r.machine.meanOtherCores > 0.3
        ? ': the machine was shared, so these figures understate the gateway'
        : ''),
  );
  const v = r.verdict;
  const mark = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  console.log(
    `${l} VERDICT ${mark(r.pass)}: ${mark(v.concurrentTargetMet)} ${v.heldConcurrently} streaming at once (target ${TARGET.conversations}); ` +
      `${mark(v.latencyTargetMet)} gateway-added p99 ${v.addedP99Ms} ms (target < ${TARGET.addedP99Ms}); ` +
      `${mark(v.noneLostOrDoubled)} lost ${r.lost} / doubled ${r.doubled} / not done ${r.notDone} / wrong ${r.wrongFinalText}; ` +
      `${mark(v.memoryTargetMet)} peak RSS ${v.rssMB} MB (target < ${TARGET.rssMB})`,
  );
  if (r.examples.length) console.log(`${l} examples: ${r.examples.join(' | ')}`);
  if (r.gateway.firstProblems.length)
    console.log(`${l} gateway warnings: ${r.gateway.firstProblems.join(' | ')}`);
}

type RunResult = Awaited<ReturnType<typeof runOnce>>;

/** The range of the headline figures over repeated runs of one set-up. */
function spread(results: RunResult[]) {
  const range = (xs: number[]) => ({ min: Math.min(...xs), max: Math.max(...xs) });
  return {
    runs: results.length,
    passed: results.filter((r) => r.pass).length,
    gatewayAddedP99Ms: range(results.map((r) => r.latencyMs.gatewayAdded.p99)),
    gatewayAddedAfterFirstSecondP99Ms: range(
      results.map((r) => r.latencyMs.gatewayAddedAfterFirstSecond.p99),
    ),
    gatewayCpuSeconds: range(results.map((r) => r.processes.find((p) => p.name === 'gateway')!.cpuSeconds)),
    gatewayMainThreadCpuSeconds: range(
      results.map((r) => r.processes.find((p) => p.name === 'gateway')!.mainThreadCpuSeconds ?? 0),
    ),
    peakRssMB: range(results.map((r) => r.verdict.rssMB)),
  };
}

function reportSpread(backend: string, s: ReturnType<typeof spread>): void {
  const r = (x: { min: number; max: number }) => `${x.min}–${x.max}`;
  console.log(
    `[gateway-alone ${backend}] over ${s.runs} runs: gateway-added p99 ${r(s.gatewayAddedP99Ms)} ms ` +
      `(after the first second ${r(s.gatewayAddedAfterFirstSecondP99Ms)} ms); gateway CPU ${r(s.gatewayCpuSeconds)} s (main thread ${r(s.gatewayMainThreadCpuSeconds)} s); ` +
      `peak RSS ${r(s.peakRssMB)} MB; ${s.passed} of ${s.runs} met every target`,
  );
}

const runs = [];
const summaries: Array<{ backend: string } & ReturnType<typeof spread>> = [];
try {
  console.log(
    `[gateway-alone] ${N} conversations ramped over ${rampSeconds} s; fake LLM TTFT ${ttftMs} ms, ${tps} tokens/s, ` +
      `${chunk} tokens per SSE event, ${tokens}-token replies (${streamSeconds} s each); edit budget ${editBudget}/s, ` +
      `interval ${editInterval} ms; MAX_CONCURRENT_LLM_CALLS=${maxConcurrent}; LLM_STREAM_THREADS=${streamArgs.streamThreads}; backends: ${backends.join(', ')}; ` +
      `new rooms by invite: ${values.invite ? 'yes' : 'no'}; LLM over ${fakeLlmTransport(streamArgs.llmTls)}; gateway: ${gatewayBuildLabel(streamArgs.gatewayBuild)}`,
  );
  for (const backend of backends) {
    const ofBackend = [];
    for (let i = 1; i <= repeat; i++) {
      if (repeat > 1) console.log(`[gateway-alone ${backend}] run ${i} of ${repeat}`);
      const result = await runOnce(backend);
      report(result);
      ofBackend.push(result);
    }
    runs.push(...ofBackend);
    if (repeat > 1) {
      const summary = spread(ofBackend);
      summaries.push({ backend, ...summary });
      reportSpread(backend, summary);
    }
  }
} finally {
  await stopAll();
}
const path = writeResult('gateway-alone', {
  gateway: gatewayRevision(),
  settings: {
    conversations: N,
    rampSeconds,
    ...streamSettingsResult(streamArgs),
    maxConcurrentLlmCalls: maxConcurrent,
    homeserverConnections: hsConnections,
    invite: values.invite ?? false,
  },
  targets: TARGET,
  runs,
  ...(repeat > 1 ? { spread: summaries } : {}),
});
console.log(`[gateway-alone] written to ${path}`);
process.exit(0);
