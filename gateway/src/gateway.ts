// Wires the gateway together: state backend, LLM provider, homeserver client, intake (application-service
// transactions or /sync), workers with streamed replies, and the HTTP server.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { configWarnings, type GatewayConfig } from './config/load.ts';
import { ActiveJobs } from './conversation/active-jobs.ts';
import { noticeContent } from './conversation/content.ts';
import { EditBudgetShare } from './conversation/edit-budget-share.ts';
import { EditScheduler } from './conversation/edit-scheduler.ts';
import { Gate } from './conversation/gate.ts';
import { Intake } from './conversation/intake.ts';
import { ConversationMemory } from './conversation/memory.ts';
import { RateLimitGuard } from './conversation/rate-limit-guard.ts';
import { Responder } from './conversation/responder.ts';
import { Addressing, RoomMembers } from './conversation/room-members.ts';
import { noticeTxnId } from './conversation/txn-ids.ts';
import { WorkerPool } from './conversation/worker-pool.ts';
import { registerAppserviceRoutes } from './http/appservice-routes.ts';
import { registerOpsRoutes } from './http/ops-routes.ts';
import { createHttpServer } from './http/server.ts';
import { createProvider, type ProviderConfig } from './llm/index.ts';
import { ThreadedProvider } from './llm/threads/threaded-provider.ts';
import { MatrixClientApi } from './matrix/client-api.ts';
import { type MatrixEvent, threadRoot } from './matrix/events.ts';
import { MatrixHttpClient } from './matrix/http-client.ts';
import { SyncLoop } from './matrix/sync-loop.ts';
import type { Logger } from './observability/logger.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { createStateBackend } from './state/index.ts';
import type { StateBackend } from './state/types.ts';

export interface Gateway {
  readonly config: GatewayConfig;
  readonly state: StateBackend;
  readonly metrics: Metrics;
  readonly http: FastifyInstance;
  /** The port the HTTP server listens on (useful with port 0). */
  readonly port: number;
  stop(): Promise<void>;
}

export async function startGateway(config: GatewayConfig, log: Logger): Promise<Gateway> {
  const metrics = createMetrics();
  const consumerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const token = config.mode === 'appservice' ? config.asToken! : config.accessToken!;
  const httpClient = new MatrixHttpClient({
    baseUrl: config.homeserverUrl,
    accessToken: token,
    connections: config.homeserverConnections,
    onResult: (endpoint, outcome) => metrics.homeserverRequests.inc({ endpoint, outcome }),
  });
  const api = new MatrixClientApi(httpClient);

  if (config.mode === 'sync') {
    const me = await api.whoami();
    config.botUserId = me.user_id;
    config.senderLocalpart = me.user_id.slice(1, me.user_id.indexOf(':'));
  }

  const providerConfig: ProviderConfig = {
    name: config.llmProvider,
    apiKey: config.llmProvider === 'anthropic' ? config.anthropicApiKey : config.openaiApiKey,
    baseUrl: config.llmProvider === 'anthropic' ? config.anthropicBaseUrl : config.openaiBaseUrl,
    model: config.llmProvider === 'anthropic' ? config.anthropicModel : config.openaiModel,
    maxTokens: config.llmMaxTokens,
    timeoutMs: config.llmTimeoutMs,
    retry: { maxAttempts: config.llmMaxRetries + 1, baseDelayMs: config.llmRetryBaseDelayMs },
  };
  const provider =
    config.llmStreamThreads > 0
      ? new ThreadedProvider(providerConfig, {
          threads: config.llmStreamThreads,
          youngGenerationMb: config.llmThreadYoungGenerationMb,
          onThreadError: (error) =>
            log.error({ err: error }, 'an LLM stream thread died; its replies in progress fail, it restarts'),
        })
      : createProvider(providerConfig);

  // The SDK is loaded (by the stream threads, or here) before the gateway takes any work.
  await provider.load?.().catch((error: Error) => {
    const what = provider instanceof ThreadedProvider ? 'the LLM stream threads' : 'the LLM provider';
    throw new Error(`${what} could not start: ${error.message}`);
  });
  if (provider instanceof ThreadedProvider) metrics.eventLoopBusy.set('llm-stream', () => provider.busyMs());

  const state = await createStateBackend({
    redisUrl: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    ...(config.queueJournalFile ? { journalPath: config.queueJournalFile } : {}),
    leaseMs: config.queueLeaseMs,
    ...(config.historyTtlSeconds ? { historyTtlSeconds: config.historyTtlSeconds } : {}),
    rateLimit: { capacity: config.rateLimitCapacity, refillPerSecond: config.rateLimitRefillPerSecond },
    onError: (error) => log.warn({ err: error }, 'state backend connection error'),
    onWarning: (message) => log.warn(message),
  });

  const scheduler = new EditScheduler({
    budgetPerSecond: config.editBudgetPerSecond,
    intervalMs: config.editIntervalMs,
    onWaitingChange: (n) => metrics.editBudgetWaiting.set(n),
  });
  const active = new ActiveJobs({
    api,
    stops: state.stops,
    botUserId: config.botUserId,
    leaseMs: config.queueLeaseMs,
    typingTimeoutMs: config.typingTimeoutMs,
    stopPollMs: config.stopPollMs,
    log,
  });
  metrics.editBudgetShare.set(config.editBudgetPerSecond);
  const budgetShare = new EditBudgetShare({
    shares: state.editBudget,
    processId: consumerId,
    budgetPerSecond: config.editBudgetPerSecond,
    streams: () => active.generatingCount,
    apply: (perSecond) => {
      scheduler.setBudgetPerSecond(perSecond);
      metrics.editBudgetShare.set(perSecond);
    },
    log,
  });
  const members = new RoomMembers(api);
  const addressing = new Addressing(api, members, config.botUserId, [
    config.senderLocalpart,
    config.botDisplayName,
  ]);
  const rateLimit = new RateLimitGuard({ limiter: state.rateLimiter, api, metrics, log });
  const memory = new ConversationMemory(state.store, api, config.botUserId, config.historyTokenBudget);
  const responder = new Responder({
    api,
    state,
    provider,
    memory,
    scheduler,
    active,
    addressing,
    rateLimit,
    prepareGate: new Gate(config.prepareConcurrency),
    metrics,
    log,
    botUserId: config.botUserId,
    botName: config.botDisplayName,
    systemPrompt: config.systemPrompt,
    maxMessageChars: config.maxMessageChars,
    historyTokenBudget: config.historyTokenBudget,
  });
  const intake = new Intake({
    state,
    api,
    members,
    addressing,
    rateLimit,
    active,
    metrics,
    log,
    botUserId: config.botUserId,
    maxMessageChars: config.maxMessageChars,
    allowedServers: config.allowedServers,
    allowedUsersRegex: config.allowedUsersRegex,
  });
  const pool = new WorkerPool({
    queue: state.queue,
    responder,
    active,
    consumerId,
    concurrency: config.maxConcurrentLlmCalls,
    log,
    onGiveUp: async (leased, error) => {
      const event = leased.job.event as MatrixEvent;
      log.error({ err: error, roomId: event.room_id }, 'giving up on a job');
      await api.sendEvent(
        event.room_id,
        'm.room.message',
        noticeTxnId(event.event_id, 'failed'),
        noticeContent(
          { sourceEventId: event.event_id, threadRoot: threadRoot(event) },
          'Sorry, something went wrong on my side and I could not answer this message. Please try again.',
        ),
      );
    },
  });

  const http = createHttpServer(log);
  registerOpsRoutes(http, {
    metrics,
    queueDepth: () => state.queue.depth(),
    checks: {
      homeserver: () => api.versions(),
      state: () => state.queue.depth(),
    },
  });
  if (config.mode === 'appservice') {
    registerAppserviceRoutes(http, {
      hsToken: config.hsToken!,
      botUserId: config.botUserId,
      store: state.store,
      metrics,
      log,
      handleEvents: (events) => intake.handleEvents(events),
    });
  }
  await http.listen({ host: config.host, port: config.port });
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  pool.start();
  budgetShare.start();
  let sync: SyncLoop | undefined;
  if (config.mode === 'sync') {
    sync = new SyncLoop({
      api,
      botUserId: config.botUserId,
      log,
      handleEvents: (events) => intake.handleEvents(events),
    });
    sync.start();
  } else {
    void api
      .pingAppservice(config.appserviceId, `clawchat-start-${consumerId}`)
      .then((res) =>
        log.info(
          { durationMs: res.duration_ms },
          'homeserver and gateway reach each other (appservice ping)',
        ),
      )
      .catch((error) =>
        log.warn({ err: error }, 'appservice ping failed: check the registration URL and tokens'),
      );
  }
  // Only when it differs: every change is a member event in every room the bot is in.
  void api
    .getDisplayName(config.botUserId)
    .catch(() => undefined)
    .then((current) =>
      current === config.botDisplayName
        ? undefined
        : api.setDisplayName(config.botUserId, config.botDisplayName),
    )
    .catch((error) => log.debug({ err: error }, 'could not set the display name'));

  log.info(
    {
      mode: config.mode,
      botUserId: config.botUserId,
      port,
      state: state.kind,
      provider: provider.name,
      model: provider.defaultModel,
      consumerId,
    },
    'gateway started',
  );

  for (const warning of configWarnings(config)) log.warn(warning);

  let stopping: Promise<void> | undefined;
  return {
    config,
    state,
    metrics,
    http,
    port,
    stop() {
      stopping ??= (async () => {
        log.info('stopping: no new jobs; replies in progress get the grace period');
        await sync?.stop();
        await http.close();
        await pool.stop(config.shutdownGraceMs, state.kind === 'redis');
        await budgetShare.stop();
        active.close();
        scheduler.close();
        if (provider instanceof ThreadedProvider) await provider.close();
        await state.close();
        await httpClient.close();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}
