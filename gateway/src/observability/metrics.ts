// Prometheus metrics (prom-client), one registry per gateway instance so tests can run several.
import { performance } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Milliseconds an event loop has been busy (not waiting for I/O) since it started, read at scrape. */
export type BusyMs = () => number;

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'clawchat_gateway_' });
  // By thread label; the LLM stream threads add theirs when they run (gateway.ts).
  const eventLoopBusy = new Map<string, BusyMs>([['main', () => performance.eventLoopUtilization().active]]);
  const m = {
    registry,
    eventLoopBusy,
    /**
     * Busy time rather than CPU time: it also counts the time a busy thread waits for a core, so its
     * rate near 1 (per thread) says that thread is where work queues, whatever takes the cores.
     */
    eventLoopBusySeconds: new Counter({
      name: 'clawchat_event_loop_busy_seconds_total',
      help: 'Time the event loops were busy (running code, not waiting for I/O), by thread: main (the homeserver traffic) or llm-stream (all LLM stream threads together, up to LLM_STREAM_THREADS per second)',
      labelNames: ['thread'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [thread, busyMs] of eventLoopBusy) this.inc({ thread }, busyMs() / 1000);
      },
    }),
    queueDepth: new Gauge({
      name: 'clawchat_queue_depth',
      help: 'Jobs waiting or in progress in the work queue (all processes)',
      registers: [registry],
    }),
    repliesInProgress: new Gauge({
      name: 'clawchat_replies_in_progress',
      help: 'Replies this process is generating now',
      registers: [registry],
    }),
    timeToFirstToken: new Histogram({
      name: 'clawchat_llm_time_to_first_token_seconds',
      help: 'From the start of the LLM call to its first text',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32],
      registers: [registry],
    }),
    tokensPerSecond: new Histogram({
      name: 'clawchat_llm_tokens_per_second',
      help: 'Estimated output tokens per second of each finished reply',
      buckets: [1, 5, 10, 20, 40, 80, 160, 320],
      registers: [registry],
    }),
    gatewayAddedLatency: new Histogram({
      name: 'clawchat_first_post_latency_seconds',
      help: 'From the first LLM text to the reply message being accepted by the homeserver',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    editsSent: new Counter({
      name: 'clawchat_edits_sent_total',
      help: 'Reply edits sent to the homeserver',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    repliesFinished: new Counter({
      name: 'clawchat_replies_total',
      help: 'Replies finished, by final state',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
    llmRetries: new Counter({
      name: 'clawchat_llm_retries_total',
      help: 'LLM requests that failed and were tried again, by kind (429, 529, 5xx, network...)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    llmErrors: new Counter({
      name: 'clawchat_llm_errors_total',
      help: 'LLM calls that failed, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    rateLimitRejections: new Counter({
      name: 'clawchat_rate_limit_rejections_total',
      help: 'Messages refused by the per-user rate limit',
      registers: [registry],
    }),
    transactionsReceived: new Counter({
      name: 'clawchat_transactions_received_total',
      help: 'Application-service transactions received, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    eventsReceived: new Counter({
      name: 'clawchat_events_received_total',
      help: 'Events received from the homeserver',
      registers: [registry],
    }),
    jobsEnqueued: new Counter({
      name: 'clawchat_jobs_enqueued_total',
      help: 'Jobs put on the work queue',
      registers: [registry],
    }),
    homeserverRequests: new Counter({
      name: 'clawchat_homeserver_requests_total',
      help: 'Requests to the homeserver, by endpoint and outcome',
      labelNames: ['endpoint', 'outcome'] as const,
      registers: [registry],
    }),
    editBudgetWaiting: new Gauge({
      name: 'clawchat_edit_budget_waiting',
      help: 'Streaming replies with new text waiting for an edit slot',
      registers: [registry],
    }),
    editBudgetShare: new Gauge({
      name: 'clawchat_edit_budget_share',
      help: "Events/s of the deployment's edit budget this process may use now (its share of EDIT_BUDGET_PER_SECOND)",
      registers: [registry],
    }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
