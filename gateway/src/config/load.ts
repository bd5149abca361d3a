// Loads the configuration: defaults < YAML file (GATEWAY_CONFIG) < environment, each value validated;
// a bad value throws ConfigError naming the key.
import { readFileSync } from 'node:fs';
import { parseRegistration } from '@clawchat/common/appservice-registration';
import { parse as parseYaml } from 'yaml';
import { type Field, fields } from './fields.ts';

export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`Invalid config: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

export interface GatewayConfig {
  mode: 'appservice' | 'sync';
  homeserverUrl: string;
  serverName: string;
  registrationFile?: string;
  asToken?: string;
  hsToken?: string;
  appserviceId: string;
  senderLocalpart: string;
  /** The bot's user id (appservice mode; in sync mode learnt from /whoami at start). */
  botUserId: string;
  accessToken?: string;
  host: string;
  port: number;
  redisUrl?: string;
  /** Journal of the in-process queue (no Redis); unset: in memory only. */
  queueJournalFile?: string;
  redisKeyPrefix: string;
  llmProvider: 'anthropic' | 'openai' | 'demo';
  anthropicApiKey?: string;
  anthropicBaseUrl?: string;
  anthropicModel?: string;
  openaiApiKey?: string;
  openaiBaseUrl?: string;
  openaiModel?: string;
  llmMaxTokens: number;
  llmMaxRetries: number;
  llmRetryBaseDelayMs: number;
  llmTimeoutMs: number;
  llmStreamThreads: number;
  heapGrowingPercent: number;
  llmThreadYoungGenerationMb: number;
  historyTtlSeconds?: number;
  systemPrompt: string;
  historyTokenBudget: number;
  editIntervalMs: number;
  editBudgetPerSecond: number;
  maxConcurrentLlmCalls: number;
  rateLimitCapacity: number;
  rateLimitRefillPerSecond: number;
  maxMessageChars: number;
  allowedServers: string[];
  allowedUsersRegex?: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  queueLeaseMs: number;
  shutdownGraceMs: number;
  homeserverConnections: number;
  prepareConcurrency: number;
  typingTimeoutMs: number;
  stopPollMs: number;
  botDisplayName: string;
}

type Env = Record<string, string | undefined>;

function describe(value: unknown, secret: boolean | undefined): string {
  if (secret) return '(hidden)';
  const shown = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value ?? null);
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}

function readYaml(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`GATEWAY_CONFIG: cannot read ${path}: ${(error as Error).message}`]);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new ConfigError([`GATEWAY_CONFIG: ${path} is not valid YAML: ${(error as Error).message}`]);
  }
  if (data == null) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([`GATEWAY_CONFIG: ${path} must hold a mapping of settings`]);
  }
  const known = new Set(fields.map((f) => f.key as string));
  const unknown = Object.keys(data).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new ConfigError(unknown.map((key) => `${key} (in ${path}): unknown setting`));
  }
  return data as Record<string, unknown>;
}

export function loadConfig(env: Env = process.env): GatewayConfig {
  const yamlPath = env.GATEWAY_CONFIG?.trim() || undefined;
  const yaml = yamlPath ? readYaml(yamlPath) : {};
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const f of fields as readonly Field[]) {
    const fromEnv = env[f.env];
    const useEnv = fromEnv !== undefined && fromEnv.trim() !== '';
    const raw = useEnv ? fromEnv : yaml[f.key];
    const name = useEnv || !yamlPath || !(f.key in yaml) ? f.env : `${f.key} (in ${yamlPath})`;
    const result = f.schema.safeParse(raw);
    if (!result.success) {
      problems.push(`${name}: expected ${f.expected}, got ${describe(raw, f.secret)}`);
      continue;
    }
    out[f.key] = result.data ?? f.default;
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const config = out as unknown as GatewayConfig;
  config.llmProvider ??= config.anthropicApiKey ? 'anthropic' : 'demo';
  config.allowedServers ??= [config.serverName];

  if (config.mode === 'appservice') {
    if (config.registrationFile) {
      let registrationText: string;
      try {
        registrationText = readFileSync(config.registrationFile, 'utf8');
      } catch (error) {
        throw new ConfigError([
          `GATEWAY_REGISTRATION_FILE: cannot read ${config.registrationFile}: ${(error as Error).message}`,
        ]);
      }
      try {
        const registration = parseRegistration(registrationText, config.registrationFile);
        config.asToken ??= registration.as_token;
        config.hsToken ??= registration.hs_token;
        config.appserviceId = registration.id;
        config.senderLocalpart = registration.sender_localpart;
      } catch (error) {
        throw new ConfigError([`GATEWAY_REGISTRATION_FILE: ${(error as Error).message}`]);
      }
    }
    if (!config.asToken)
      problems.push('AS_TOKEN: required in appservice mode (or GATEWAY_REGISTRATION_FILE)');
    if (!config.hsToken)
      problems.push('HS_TOKEN: required in appservice mode (or GATEWAY_REGISTRATION_FILE)');
  } else if (!config.accessToken) {
    problems.push('MATRIX_ACCESS_TOKEN: required when GATEWAY_MODE=sync');
  }
  if (config.llmProvider === 'anthropic' && !config.anthropicApiKey) {
    problems.push('ANTHROPIC_API_KEY: required when LLM_PROVIDER=anthropic');
  }
  if (config.llmProvider === 'openai' && !config.openaiApiKey && !config.openaiBaseUrl) {
    problems.push(
      'OPENAI_API_KEY: required when LLM_PROVIDER=openai (unless OPENAI_BASE_URL points to a server without keys)',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  config.botUserId = `@${config.senderLocalpart}:${config.serverName}`;
  config.redisKeyPrefix ??= `clawchat:${config.botUserId}:`;
  return config;
}

/** What is valid but probably not what was meant, for the start-up log. */
export function configWarnings(config: GatewayConfig): string[] {
  const warnings: string[] = [];
  if (config.llmProvider === 'demo' && (config.openaiApiKey || config.openaiBaseUrl)) {
    warnings.push(
      'OPENAI_API_KEY or OPENAI_BASE_URL is set but LLM_PROVIDER is not: answering with the demo provider. Set LLM_PROVIDER=openai to use that endpoint.',
    );
  }
  if (config.redisUrl && config.queueJournalFile) {
    warnings.push(
      'QUEUE_JOURNAL_FILE is ignored because REDIS_URL is set: the Redis queue is durable itself.',
    );
  }
  return warnings;
}

/** The config without secrets, for the start-up log line. */
export function redactedConfig(config: GatewayConfig): Record<string, unknown> {
  const secret = new Set((fields as readonly Field[]).filter((f) => f.secret).map((f) => f.key));
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, secret.has(key) && value ? '(set)' : value]),
  );
}
