// Environment for a gateway under test: the harness's Synapse and appservice slot, a fake LLM,
// short intervals and leases so the suite stays quick.
import { randomBytes } from 'node:crypto';
import type { AppserviceSlot, TestHomeserver } from '@clawchat/local-synapse/harness';

export const REDIS_URL = process.env.CLAWCHAT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type Backend = 'memory' | 'redis';

export function gatewayEnv(options: {
  hs: TestHomeserver;
  slot: AppserviceSlot;
  backend: Backend;
  llm: { provider: 'anthropic' | 'openai'; url: string };
  /** Shared by the processes of one test (Redis key prefix). */
  prefix?: string;
  port?: number;
  extra?: Record<string, string>;
}): Record<string, string> {
  const env: Record<string, string> = {
    MATRIX_HOMESERVER_URL: options.hs.baseUrl,
    MATRIX_SERVER_NAME: options.hs.serverName,
    GATEWAY_REGISTRATION_FILE: options.slot.registrationPath,
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: String(options.port ?? options.slot.port),
    LLM_PROVIDER: options.llm.provider,
    EDIT_INTERVAL_MS: '100',
    EDIT_BUDGET_PER_SECOND: '200',
    QUEUE_LEASE_MS: '2000',
    STOP_POLL_MS: '100',
    LLM_RETRY_BASE_DELAY_MS: '50',
    LLM_MAX_RETRIES: '2',
    SHUTDOWN_GRACE_MS: '3000',
    LOG_LEVEL: process.env.CLAWCHAT_GATEWAY_LOG ?? 'warn',
    ...options.extra,
  };
  if (options.llm.provider === 'anthropic') {
    env.ANTHROPIC_API_KEY = 'test-key';
    env.ANTHROPIC_BASE_URL = options.llm.url;
    env.ANTHROPIC_MODEL = 'claude-test';
  } else {
    env.OPENAI_API_KEY = 'test-key';
    env.OPENAI_BASE_URL = options.llm.url;
    env.OPENAI_MODEL = 'gpt-test';
  }
  if (options.backend === 'redis') {
    env.REDIS_URL = REDIS_URL;
    env.REDIS_KEY_PREFIX = options.prefix ?? `clawchat-test:${randomBytes(6).toString('hex')}:`;
  }
  return env;
}
