// The full stack: real Synapse (SQLite) ⇄ the gateway (its own process, in-process or Redis backend)
// ⇄ the fake LLM (its own process, realistic timing), with simulated users sending through Synapse's
// /send. Conversations completed per minute, time to first visible token p50/p99 as the user sees it,
// the latency the gateway adds over the LLM's own, the events/s put on Synapse, and CPU per process
// (Synapse, gateway, fake LLM, Redis, this driver) to name the bottleneck.
//
// Users: virtual users of an "observer" application service (an exclusive namespace @benchuser*),
// registered with m.login.application_service and driven with ?user_id= (cheap: no login, no
// per-user /sync). Seeing what the user sees: Synapse pushes every event of the rooms its users are in
// to the observer's own transaction endpoint, the same notifier path that wakes a client's /sync, so the
// moment the observer receives the bot's first post is when the user's client could show it. One
// HTTP push stream for all users, rather than one long-polling /sync per user, so the observation does
// not itself load Synapse (N /sync loops would).
// Each user runs a closed loop: send a message, wait for the reply's final edit, think, send the next.
//   node --import tsx bench/src/gateway/full-stack.ts [--users 60] [--seconds 90] [--think-ms 1000] [--llm-tls]
//     [--ttft 300] [--tps 50] [--chunk 1] [--tokens 150] [--edit-budget 50] [--edit-interval 1000]
//     [--backend memory|redis|both]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRegistration, renderRegistration } from '@clawchat/common/appservice-registration';
import { freePort, LocalSynapse } from '@clawchat/local-synapse';
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

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '60' },
    seconds: { type: 'string', default: '90' },
    'think-ms': { type: 'string', default: '1000' },
    ...streamOptions({ tps: '50', chunk: '1', tokens: '150' }),
  },
  strict: true,
});
const userCount = Math.floor(num('users', values.users, 1));
const seconds = num('seconds', values.seconds, 1);
const thinkMs = num('think-ms', values['think-ms']);
const streamArgs = streamSettings(values);
const { ttftMs, tps, chunk, tokens, editBudget, editInterval } = streamArgs;
const backends = backendsOf(values.backend);

const REPLY_TIMEOUT_MS = 90_000;

async function readBody(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const part of request) text += part;
  return text;
}

interface Turn {
  tag: string;
  roomId: string;
  sentAt: number;
  sendAckAt?: number;
  deliveredAt?: number;
  firstVisibleAt?: number;
  finalAt?: number;
  finalState?: string;
  finalBody?: string;
  posts: number;
  edits: number;
  notices: number;
  done: () => void;
}

interface ObservedEvent {
  type: string;
  sender: string;
  room_id: string;
  state_key?: string;
  event_id: string;
  content: Record<string, unknown>;
}

async function runOnce(backend: string) {
  const label = `[gateway-full-stack ${backend}]`;
  const dir = mkdtempSync(join(tmpdir(), 'clawchat-bench-fullstack-'));
  const gatewayPort = await freePort();
  const observerPort = await freePort();
  const gatewayReg = createRegistration({
    id: 'clawchat-gateway',
    url: `http://127.0.0.1:${gatewayPort}`,
    senderLocalpart: 'clawbot',
    serverName: SERVER,
  });
  const observerReg = createRegistration({
    id: 'bench-observer',
    url: `http://127.0.0.1:${observerPort}`,
    senderLocalpart: 'benchobserver',
    serverName: SERVER,
    userPrefix: 'benchuser',
  });
  const gatewayRegPath = join(dir, 'gateway.yaml');
  const observerRegPath = join(dir, 'observer.yaml');
  writeFileSync(gatewayRegPath, renderRegistration(gatewayReg));
  writeFileSync(observerRegPath, renderRegistration(observerReg));
  const redisPrefix = `clawchat-bench:${randomBytes(4).toString('hex')}:`;

  // The observer: what the users' clients would see, pushed by Synapse.
  const botJoined = new Map<string, () => void>();
  const joinedRooms = new Set<string>();
  const current = new Map<string, Turn>(); // room → the turn in progress
  const byEventId = new Map<string, Turn>();
  const perSecond: Array<{ user: number; post: number; edit: number; final: number; notice: number }> = [];
  let t0 = now();
  const bucket = (kind: 'user' | 'post' | 'edit' | 'final' | 'notice', at: number) => {
    const s = Math.max(0, Math.floor((at - t0) / 1000));
    while (perSecond.length <= s) perSecond.push({ user: 0, post: 0, edit: 0, final: 0, notice: 0 });
    perSecond[s]![kind] += 1;
  };
  let lateOrStray = 0;
  const observe = (event: ObservedEvent, at: number) => {
    if (event.type === 'm.room.member' && event.state_key === BOT && event.content.membership === 'join') {
      joinedRooms.add(event.room_id);
      botJoined.get(event.room_id)?.();
      return;
    }
    if (event.type !== 'm.room.message') return;
    if (event.sender !== BOT) {
      bucket('user', at);
      const turn = byEventId.get(event.event_id) ?? current.get(event.room_id);
      if (turn && turn.deliveredAt === undefined) turn.deliveredAt = at;
      return;
    }
    const turn = current.get(event.room_id);
    const content = event.content;
    const relates = content['m.relates_to'] as { rel_type?: string } | undefined;
    const state = (content['org.clawchat.stream'] as { state?: string } | undefined)?.state;
    if (!turn) {
      lateOrStray += 1;
      return;
    }
    if (relates?.rel_type === 'm.replace') {
      const newContent = content['m.new_content'] as { body?: string } | undefined;
      if (state === 'streaming') {
        turn.edits += 1;
        bucket('edit', at);
      } else {
        bucket('final', at);
        turn.finalAt ??= at;
        turn.finalState ??= state;
        turn.finalBody ??= newContent?.body;
        turn.done();
      }
      return;
    }
    if (content.msgtype === 'm.notice') {
      turn.notices += 1;
      bucket('notice', at);
      turn.finalAt ??= at;
      turn.finalState ??= 'notice';
      turn.finalBody ??= String(content.body);
      turn.done();
      return;
    }
    turn.posts += 1;
    bucket('post', at);
    turn.firstVisibleAt ??= at;
    if (state && state !== 'streaming') {
      turn.finalAt ??= at;
      turn.finalState ??= state;
      turn.finalBody ??= typeof content.body === 'string' ? content.body : undefined;
      turn.done();
    }
  };
  const observer = createServer(async (request, response) => {
    const text = await readBody(request);
    const at = now();
    if (request.method === 'PUT' && request.url?.includes('/transactions/')) {
      try {
        const { events } = JSON.parse(text) as { events: ObservedEvent[] };
        for (const event of events) observe(event, at);
      } catch {}
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => observer.listen(observerPort, '127.0.0.1', r));

  const fake = await startFakeLlm({ ttftMs, tokensPerSecond: tps, chunk, tokens, tls: streamArgs.llmTls });
  await warmFakeLlm(fake);
  let synapse: LocalSynapse | undefined;
  try {
    console.log(`${label} starting Synapse (SQLite)…`);
    synapse = await LocalSynapse.start({
      instanceDir: join(dir, 'synapse'),
      port: await freePort(),
      appserviceFiles: [gatewayRegPath, observerRegPath],
      extra: { bcrypt_rounds: 4 },
      log: () => {},
    });
    const base = synapse.baseUrl;
    const env: Record<string, string> = {
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_HOST: '127.0.0.1',
      MATRIX_HOMESERVER_URL: base,
      MATRIX_SERVER_NAME: SERVER,
      GATEWAY_REGISTRATION_FILE: gatewayRegPath,
      ...fakeLlmGatewayEnv(fake),
      EDIT_BUDGET_PER_SECOND: String(editBudget),
      LLM_STREAM_THREADS: String(streamArgs.streamThreads),
      EDIT_INTERVAL_MS: String(editInterval),
      // Simulated users send faster than people: the per-user rate limit is not what is measured.
      RATE_LIMIT_CAPACITY: '1000',
      RATE_LIMIT_REFILL_PER_SECOND: '100',
      LOG_LEVEL: 'warn',
    };
    if (backend === 'redis') {
      env.REDIS_URL = 'redis://127.0.0.1:6379';
      env.REDIS_KEY_PREFIX = redisPrefix;
    }
    const gateway = await startGateway(env, gatewayPort, [], streamArgs.gatewayBuild);

    const call = async (path: string, method: string, body?: unknown, userId?: string) => {
      const url = new URL(path, base);
      if (userId) url.searchParams.set('user_id', userId);
      const response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${observerReg.as_token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await response.json()) as Record<string, unknown>;
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };

    // Users and their direct rooms with the bot (the gateway joins on the invite).
    const setupStart = now();
    const users: Array<{ userId: string; roomId: string }> = [];
    for (let i = 0; i < userCount; i++) {
      const localpart = `benchuser${i}`;
      const userId = `@${localpart}:${SERVER}`;
      await call('/_matrix/client/v3/register', 'POST', {
        type: 'm.login.application_service',
        username: localpart,
        inhibit_login: true,
      });
      const { room_id: roomId } = (await call(
        '/_matrix/client/v3/createRoom',
        'POST',
        { preset: 'trusted_private_chat', is_direct: true, invite: [BOT] },
        userId,
      )) as { room_id: string };
      users.push({ userId, roomId });
    }
    await Promise.race([
      Promise.all(
        users.map(
          (u) =>
            new Promise<void>((resolve) => {
              if (joinedRooms.has(u.roomId)) resolve();
              else botJoined.set(u.roomId, resolve);
            }),
        ),
      ),
      sleep(120_000),
    ]);
    const joined = users.filter((u) => joinedRooms.has(u.roomId)).length;
    console.log(
      `${label} ${userCount} users and rooms ready in ${round((now() - setupStart) / 1000)} s (the bot joined ${joined})`,
    );
    if (joined < userCount) throw new Error(`the bot joined only ${joined} of ${userCount} rooms`);

    const sampler = new ProcSampler();
    sampler.watch('synapse', synapse.child.pid!, { tree: true });
    sampler.watch('gateway', gateway.child.pid!);
    sampler.watch('fake-llm', fake.child.pid!);
    sampler.watch('driver+observer', process.pid);
    const rPid = redisPid();
    if (backend === 'redis' && rPid) sampler.watch('redis', rPid);
    const redisCpuBefore = backend === 'redis' ? redisCpuSeconds() : undefined;
    const lastCores: Record<string, number> = {};
    sampler.onSample = (_at, byName) => {
      for (const [name, v] of Object.entries(byName)) lastCores[name] = v.cores;
    };
    sampler.start(500);

    const turns: Turn[] = [];
    const sendLatency: number[] = [];
    let sendErrors = 0;
    let timeouts = 0;
    t0 = now();
    const stopAt = t0 + seconds * 1000;
    const progress = setInterval(() => {
      const done = turns.filter((t) => t.finalAt !== undefined).length;
      console.log(
        `${label} t=${((now() - t0) / 1000).toFixed(0)}s conversations done ${done}, ` +
          Object.entries(lastCores)
            .map(([n, c]) => `${n} ${c}`)
            .join(', ') +
          ' cores',
      );
    }, 10_000);
    await Promise.all(
      users.map(async (user, u) => {
        // Spread the users' first messages over the first think time.
        await sleep((u / userCount) * Math.max(thinkMs, 1000));
        for (let n = 0; now() < stopAt; n++) {
          const tag = `conv-${u}-${n}`;
          let resolveDone!: () => void;
          const finished = new Promise<void>((r) => {
            resolveDone = r;
          });
          const turn: Turn = {
            tag,
            roomId: user.roomId,
            sentAt: now(),
            posts: 0,
            edits: 0,
            notices: 0,
            done: resolveDone,
          };
          current.set(user.roomId, turn);
          turns.push(turn);
          try {
            const { event_id: eventId } = (await call(
              `/_matrix/client/v3/rooms/${encodeURIComponent(user.roomId)}/send/m.room.message/${tag}`,
              'PUT',
              { msgtype: 'm.text', body: `${tag}: hello, could you explain something to me?` },
              user.userId,
            )) as { event_id: string };
            turn.sendAckAt = now();
            sendLatency.push(turn.sendAckAt - turn.sentAt);
            byEventId.set(eventId, turn);
          } catch {
            sendErrors += 1;
            turn.finalState = 'send-error';
            await sleep(1000);
            continue;
          }
          const timedOut = await Promise.race([
            finished.then(() => false),
            sleep(REPLY_TIMEOUT_MS).then(() => true),
          ]);
          if (timedOut) timeouts += 1;
          // Leave time for a stray duplicate of this reply to be attributed to this turn.
          await sleep(thinkMs * (0.5 + Math.random()));
        }
      }),
    );
    const endAt = now();
    clearInterval(progress);
    await sleep(1500);
    const metrics = await scrapeMetrics(gatewayPort);
    const gatewayPeakRss = peakRssFromKernelMB(gateway.child.pid!);
    const processes = sampler.stop();
    const machine = sampler.machine(processes);
    const redisCpuAfter = backend === 'redis' ? redisCpuSeconds() : undefined;
    const timing = await fakeLlmTimings(fake);
    await stopChild(gateway.child, 20_000);
    const keysDeleted = backend === 'redis' ? deleteKeys(redisPrefix) : 0;

    const ttfvt: number[] = [];
    const added: number[] = [];
    const sendToLlm: number[] = [];
    const tokenToVisible: number[] = [];
    const sendToDelivered: number[] = [];
    const deliveredToLlm: number[] = [];
    const completion: number[] = [];
    const lastTokenToFinal: number[] = [];
    let completed = 0;
    let wrong = 0;
    let doubled = 0;
    let unfinished = 0;
    const problems: string[] = [];
    for (const turn of turns) {
      if (turn.finalState === 'send-error') continue;
      if (turn.finalAt === undefined) {
        unfinished += 1;
        continue;
      }
      if (turn.posts > 1) doubled += 1;
      if (turn.finalState === 'done' && turn.finalBody === replyText(turn.tag, tokens)) completed += 1;
      else {
        wrong += 1;
        if (problems.length < 5)
          problems.push(`${turn.tag}: ${turn.finalState} ${String(turn.finalBody).slice(0, 120)}`);
      }
      completion.push(turn.finalAt - turn.sentAt);
      if (turn.deliveredAt) sendToDelivered.push(turn.deliveredAt - turn.sentAt);
      const t = timing.timings[turn.tag];
      if (turn.firstVisibleAt !== undefined) {
        ttfvt.push(turn.firstVisibleAt - turn.sentAt);
        if (t && t[1] > 0) {
          added.push(turn.firstVisibleAt - turn.sentAt - (t[1] - t[0]));
          sendToLlm.push(t[0] - turn.sentAt);
          if (turn.deliveredAt) deliveredToLlm.push(t[0] - turn.deliveredAt);
          tokenToVisible.push(turn.firstVisibleAt - t[1]);
          if (t[2] > 0) lastTokenToFinal.push(turn.finalAt - t[2]);
        }
      }
    }
    const windowMinutes = (endAt - t0) / 60_000;
    const active = perSecond.slice(0, Math.ceil((endAt - t0) / 1000));
    const mean = (xs: number[]) => (xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length) : 0);
    const botEvents = active.map((s) => s.post + s.edit + s.final + s.notice);
    const allEvents = active.map((s) => s.user + s.post + s.edit + s.final + s.notice);
    const cores = Object.fromEntries(processes.map((p) => [p.name, p.meanCores]));
    const busiest = [...processes].sort((a, b) => b.meanCores - a.meanCores)[0]!;
    const machineSaturated = machine.meanBusyCores >= 0.9 * machine.cores;
    const saturated = busiest.meanCores >= 0.85 || busiest.peakCores >= 0.95;
    const sendP50 = summarize(sendLatency).p50;
    const why =
      busiest.name === 'synapse'
        ? `Synapse is single-threaded Python, one core at most; users' /send round trip p50 ${sendP50} ms`
        : busiest.name === 'gateway'
          ? 'the gateway is one Node event loop'
          : '';
    const bottleneck =
      `${busiest.name}: the busiest process, mean ${busiest.meanCores} cores (peak ${busiest.peakCores})` +
      `${saturated ? ', saturated' : ', not saturated'}${why ? ` (${why})` : ''}; ` +
      `others: ${processes
        .filter((p) => p !== busiest)
        .map((p) => `${p.name} ${p.meanCores}`)
        .join(', ')}` +
      (machineSaturated
        ? `; the machine's ${machine.cores} cores were busy (${machine.meanBusyCores} on average, ${machine.meanOtherCores} by other work), so no process could get the CPU it asked for`
        : '');
    return {
      backend,
      synapseVersion: synapse.version,
      users: userCount,
      seconds: round((endAt - t0) / 1000),
      conversationsStarted: turns.length,
      conversationsCompleted: completed,
      conversationsPerMinute: round(completed / windowMinutes),
      wrongOrFailed: wrong,
      doubled,
      unfinished,
      replyTimeouts: timeouts,
      sendErrors,
      strayBotEvents: lateOrStray,
      problems,
      latencyMs: {
        timeToFirstVisibleToken: summarize(ttfvt),
        gatewayAdded: summarize(added),
        gatewayAddedNote:
          'time to first visible token minus the fake LLM’s own time to first token for that request: Synapse (user message in, reply out) plus the gateway',
        userSendToLlmRequest: summarize(sendToLlm),
        llmFirstTokenToVisible: summarize(tokenToVisible),
        userSendToDeliveredBack: summarize(sendToDelivered),
        userSendToDeliveredBackNote:
          'user /send → Synapse pushes the message to the observer appservice (it pushes the gateway the same event in parallel)',
        gatewayBeforeLlm: summarize(deliveredToLlm),
        gatewayBeforeLlmNote:
          'the observer got the user message → the LLM request arrived at the fake: about the gateway’s intake, queue, history and LLM request (Synapse pushes both appservices at about the same time)',
        sendRoundTrip: summarize(sendLatency),
        lastTokenToVisibleFinal: summarize(lastTokenToFinal),
        conversationCompletion: summarize(completion),
        llmOwnTtft: summarize(
          turns.map((t) => timing.timings[t.tag]).flatMap((t) => (t && t[1] > 0 ? [t[1] - t[0]] : [])),
        ),
      },
      synapseLoad: {
        editBudgetPerSecond: editBudget,
        botEventsPerSecond: { mean: mean(botEvents), peak: Math.max(0, ...botEvents) },
        streamingEditsPerSecond: {
          mean: mean(active.map((s) => s.edit)),
          peak: Math.max(0, ...active.map((s) => s.edit)),
        },
        allMessagesPerSecond: { mean: mean(allEvents), peak: Math.max(0, ...allEvents) },
        editsPerReply: round(turns.reduce((a, t) => a + t.edits, 0) / Math.max(1, turns.length), 2),
      },
      cpuMeanCores: cores,
      bottleneck,
      processes,
      machine,
      gateway: {
        peakRssMB: gatewayPeakRss,
        firstPostLatencyP99s: histogramQuantile(metrics, 'clawchat_first_post_latency_seconds', 0.99),
        homeserverErrors: homeserverErrors(metrics),
        logLines: gateway.logCounts,
        firstProblems: gateway.firstProblems,
      },
      redis: redisResult(backend, redisCpuBefore, redisCpuAfter, keysDeleted),
    };
  } finally {
    await synapse?.stop().catch(() => {});
    await stopChild(fake.child).catch(() => {});
    observer.close();
    observer.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs = [];
try {
  console.log(
    `[gateway-full-stack] ${userCount} users in closed loops for ${seconds} s (think ${thinkMs} ms); fake LLM TTFT ${ttftMs} ms, ` +
      `${tps} tokens/s, ${tokens}-token replies; edit budget ${editBudget}/s, interval ${editInterval} ms; backends ${backends.join(', ')}; ` +
      `LLM over ${fakeLlmTransport(streamArgs.llmTls)}; gateway: ${gatewayBuildLabel(streamArgs.gatewayBuild)}`,
  );
  for (const backend of backends) {
    const r = await runOnce(backend);
    runs.push(r);
    const l = `[gateway-full-stack ${backend}]`;
    const lat = r.latencyMs;
    console.log(
      `${l} ${r.conversationsCompleted} conversations completed in ${r.seconds} s = ${r.conversationsPerMinute}/min ` +
        `(${r.wrongOrFailed} wrong or failed, ${r.doubled} doubled, ${r.unfinished} unfinished, ${r.sendErrors} send errors)`,
    );
    console.log(
      `${l} time to first visible token p50 ${lat.timeToFirstVisibleToken.p50} ms p99 ${lat.timeToFirstVisibleToken.p99} ms; ` +
        `added over the LLM's own TTFT p50 ${lat.gatewayAdded.p50} ms p99 ${lat.gatewayAdded.p99} ms ` +
        `(user send → LLM request p50 ${lat.userSendToLlmRequest.p50} p99 ${lat.userSendToLlmRequest.p99}, of which Synapse push → LLM request p50 ${lat.gatewayBeforeLlm.p50} p99 ${lat.gatewayBeforeLlm.p99}; first token → visible p50 ${lat.llmFirstTokenToVisible.p50} p99 ${lat.llmFirstTokenToVisible.p99}); ` +
        `/send round trip p50 ${lat.sendRoundTrip.p50} p99 ${lat.sendRoundTrip.p99} ms`,
    );
    console.log(
      `${l} Synapse load: bot events/s mean ${r.synapseLoad.botEventsPerSecond.mean} peak ${r.synapseLoad.botEventsPerSecond.peak} ` +
        `(streaming edits mean ${r.synapseLoad.streamingEditsPerSecond.mean}/s, budget ${r.synapseLoad.editBudgetPerSecond}/s, ${r.synapseLoad.editsPerReply} edits per reply); ` +
        `all messages/s mean ${r.synapseLoad.allMessagesPerSecond.mean}`,
    );
    console.log(
      `${l} CPU: ${cpuFigures(r.processes)}${r.redis ? `; redis INFO ${r.redis.cpuSeconds} s` : ''}`,
    );
    console.log(`${l} ${machineFigures(r.machine)}`);
    console.log(`${l} bottleneck: ${r.bottleneck}`);
    if (r.problems.length) console.log(`${l} problems: ${r.problems.join(' | ')}`);
  }
} finally {
  await stopAll();
}
const path = writeResult('gateway-full-stack', {
  gateway: gatewayRevision(),
  settings: {
    users: userCount,
    seconds,
    thinkMs,
    ...streamSettingsResult(streamArgs),
    observation:
      'an observer application service whose exclusive namespace holds the simulated users: Synapse pushes it every event of their rooms',
  },
  runs,
});
console.log(`[gateway-full-stack] written to ${path}`);
process.exit(0);
