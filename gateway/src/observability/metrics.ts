// Prometheus metrics (prom-client), one registry per gateway instance so tests can run several.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'clawchat_gateway_' });
  const m = {
    registry,
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
