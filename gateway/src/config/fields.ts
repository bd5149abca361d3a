// Every setting of the gateway: its YAML key, its environment variable, what it accepts and its default.
// One table, so that the loader, the error messages and the README stay in step.
import { z } from 'zod';

const emptyToUndefined = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const toNumber = (value: unknown) =>
  typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;

const toBoolean = (value: unknown) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return value;
};

const toList = (value: unknown) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)
    : value;

export const positiveInt = z.preprocess(toNumber, z.number().int().positive());
export const nonNegativeInt = z.preprocess(toNumber, z.number().int().min(0));
export const positiveNumber = z.preprocess(toNumber, z.number().positive());
export const intBetween = (min: number, max: number) =>
  z.preprocess(toNumber, z.number().int().min(min).max(max));
export const port = intBetween(0, 65535);
export const bool = z.preprocess(toBoolean, z.boolean());
export const url = z.url({ protocol: /^https?$/ });
export const text = z.string().min(1);
export const stringList = z.preprocess(toList, z.array(z.string().min(1)));
export const regex = z.string().refine((source) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
});

export interface Field {
  /** Key in the YAML file (camelCase). */
  key: string;
  /** Environment variable. */
  env: string;
  schema: z.ZodType;
  /** Said in the error when the value is rejected: "expected <expected>". */
  expected: string;
  default?: unknown;
  /** Never shown in logs or errors. */
  secret?: boolean;
  doc: string;
}

function field(
  key: string,
  env: string,
  schema: z.ZodType,
  expected: string,
  doc: string,
  extra: Partial<Field> = {},
): Field {
  return { key, env, schema: z.preprocess(emptyToUndefined, schema.optional()), expected, doc, ...extra };
}

export const fields = [
  field(
    'mode',
    'GATEWAY_MODE',
    z.enum(['appservice', 'sync']),
    'one of "appservice", "sync"',
    'How the gateway meets the homeserver: as an application service (pushed transactions) or as an ordinary client with `/sync`.',
    { default: 'appservice' },
  ),
  field(
    'homeserverUrl',
    'MATRIX_HOMESERVER_URL',
    url,
    'an http(s) URL',
    'Client-Server API base URL of the homeserver.',
    { default: 'http://127.0.0.1:8008' },
  ),
  field(
    'serverName',
    'MATRIX_SERVER_NAME',
    text,
    'a server name such as "example.org"',
    'The homeserver\'s server name (the part after ":" in user ids).',
    { default: 'localhost' },
  ),
  field(
    'registrationFile',
    'GATEWAY_REGISTRATION_FILE',
    text,
    'a file path',
    'Application-service registration YAML (as written by `npm run register`): as_token, hs_token, id and sender are read from it.',
  ),
  field(
    'asToken',
    'AS_TOKEN',
    text,
    'a token',
    'Application-service token (instead of the registration file).',
    { secret: true },
  ),
  field(
    'hsToken',
    'HS_TOKEN',
    text,
    'a token',
    'Homeserver token the homeserver authenticates with (instead of the registration file).',
    { secret: true },
  ),
  field(
    'appserviceId',
    'AS_ID',
    text,
    'an application-service id',
    'Application-service id (instead of the registration file).',
    { default: 'clawchat-gateway' },
  ),
  field(
    'senderLocalpart',
    'AS_SENDER_LOCALPART',
    z.string().regex(/^[a-z0-9._=\-/+]+$/),
    'a Matrix localpart (lower-case letters, digits, ._=-/+)',
    'Localpart of the bot user (instead of the registration file).',
    { default: 'clawbot' },
  ),
  field(
    'accessToken',
    'MATRIX_ACCESS_TOKEN',
    text,
    'an access token',
    "Sync mode: the bot account's access token.",
    { secret: true },
  ),
  field(
    'host',
    'GATEWAY_HOST',
    text,
    'a host name or IP address',
    'Address the HTTP server (transactions, health, metrics) listens on.',
    { default: '127.0.0.1' },
  ),
  field('port', 'GATEWAY_PORT', port, 'a port number 0-65535', 'Port the HTTP server listens on.', {
    default: 9000,
  }),
  field(
    'redisUrl',
    'REDIS_URL',
    z.url({ protocol: /^rediss?$/ }),
    'a redis:// or rediss:// URL',
    'Shared Redis for the queue, the store, the rate limiter and stop signals. Unset: in-process (one gateway process).',
    { secret: true },
  ),
  field(
    'queueJournalFile',
    'QUEUE_JOURNAL_FILE',
    text,
    'a file path',
    'Without REDIS_URL: the journal file of the in-process queue, so that the messages acknowledged to the homeserver and not yet answered are answered after a restart or a crash (`npm start` keeps it in its data folder). Unset: the queue is in memory only. Ignored with REDIS_URL (the Redis queue is durable itself).',
  ),
  field(
    'redisKeyPrefix',
    'REDIS_KEY_PREFIX',
    text,
    'a key prefix',
    'Prefix of every Redis key. Default: `clawchat:<bot user id>:`, so that several bots can share one Redis.',
  ),
  field(
    'llmProvider',
    'LLM_PROVIDER',
    z.enum(['anthropic', 'openai', 'demo']),
    'one of "anthropic", "openai", "demo"',
    'LLM provider. Default: `anthropic` when ANTHROPIC_API_KEY is set, else `demo`.',
  ),
  field('anthropicApiKey', 'ANTHROPIC_API_KEY', text, 'an API key', 'Anthropic API key.', { secret: true }),
  field(
    'anthropicBaseUrl',
    'ANTHROPIC_BASE_URL',
    url,
    'an http(s) URL',
    "Anthropic API base URL (default: the SDK's).",
  ),
  field(
    'anthropicModel',
    'ANTHROPIC_MODEL',
    text,
    'a model name',
    "Anthropic model (default: the provider's).",
  ),
  field('openaiApiKey', 'OPENAI_API_KEY', text, 'an API key', 'OpenAI (or compatible) API key.', {
    secret: true,
  }),
  field(
    'openaiBaseUrl',
    'OPENAI_BASE_URL',
    url,
    'an http(s) URL',
    'OpenAI-compatible base URL (OpenAI, Ollama, vLLM, an OpenClaw gateway...).',
  ),
  field('openaiModel', 'OPENAI_MODEL', text, 'a model name', "OpenAI model (default: the provider's)."),
  field('llmMaxTokens', 'LLM_MAX_TOKENS', positiveInt, 'a positive integer', 'Maximum tokens of one reply.', {
    default: 1024,
  }),
  field(
    'llmMaxRetries',
    'LLM_MAX_RETRIES',
    nonNegativeInt,
    'a non-negative integer',
    'Retries of a failed LLM call (429, 529, 5xx, network) before the user is told.',
    { default: 3 },
  ),
  field(
    'llmRetryBaseDelayMs',
    'LLM_RETRY_BASE_DELAY_MS',
    positiveInt,
    'a positive integer',
    'Back-off before the first retry of a failed LLM call (doubles each time; a retry-after from the service wins).',
    { default: 500 },
  ),
  field(
    'llmStreamThreads',
    'LLM_STREAM_THREADS',
    nonNegativeInt,
    'a non-negative integer',
    "Worker threads that run the LLM streams (the SDKs' HTTP and SSE work), apart from the main thread's homeserver traffic. 0: in the main thread.",
    { default: 1 },
  ),
  field(
    'heapGrowingPercent',
    'HEAP_GROWING_PERCENT',
    intBetween(0, 400),
    'an integer from 0 to 400',
    "How far V8 lets the JavaScript heap grow past its live data before the next full garbage collection, in percent (V8's --heap-growing-percent; the main thread and the LLM stream threads). Lower keeps less garbage in memory for slightly more collection work. 0: V8's own factor, up to 4×, which about doubles the peak memory of thousands of streams.",
    { default: 50 },
  ),
  field(
    'llmThreadYoungGenerationMb',
    'LLM_THREAD_YOUNG_GENERATION_MB',
    intBetween(0, 4096),
    'an integer from 0 to 4096',
    "The V8 young generation of each LLM stream thread, in MB (the Worker's resourceLimits.maxYoungGenerationSizeMb). SSE streams make short-lived garbage fast; a larger young generation collects it before it is promoted: 192 takes about a quarter off the CPU of each SSE event for about 12 KB more memory a stream. 0: V8's own (about 48 MB).",
    { default: 192 },
  ),
  field('llmTimeoutMs', 'LLM_TIMEOUT_MS', positiveInt, 'a positive integer', 'Timeout of one LLM request.', {
    default: 120000,
  }),
  field(
    'systemPrompt',
    'SYSTEM_PROMPT',
    z.string(),
    'a text',
    'System prompt of every conversation (a room can override it with `!system`).',
    {
      default:
        'You are Clawdbot, a helpful assistant chatting on Matrix. Answer concisely; use Markdown when it helps.',
    },
  ),
  field(
    'historyTokenBudget',
    'HISTORY_TOKEN_BUDGET',
    positiveInt,
    'a positive integer',
    'Token budget of the remembered history sent with each message.',
    { default: 8000 },
  ),
  field(
    'historyTtlSeconds',
    'HISTORY_TTL_SECONDS',
    positiveInt,
    'a positive integer',
    "Forget a room's remembered history after this many seconds without a message (it is rebuilt from the room's timeline when needed). Default: kept.",
  ),
  field(
    'editIntervalMs',
    'EDIT_INTERVAL_MS',
    positiveInt,
    'a positive integer',
    'Minimum time between two edits of one streaming reply (per room).',
    { default: 1000 },
  ),
  field(
    'editBudgetPerSecond',
    'EDIT_BUDGET_PER_SECOND',
    positiveNumber,
    'a positive number',
    'Events per second the homeserver is given for intermediate streaming edits, for the whole deployment: the gateway processes on one Redis and key prefix (one bot) share it in proportion to the replies each streams, and the replies of a process share its part fairly. First posts and final edits are never held back but count against it (intermediate edits give way to them).',
    { default: 50 },
  ),
  field(
    'maxConcurrentLlmCalls',
    'MAX_CONCURRENT_LLM_CALLS',
    positiveInt,
    'a positive integer',
    'Replies (LLM calls) one process streams at once; more wait in the queue. Streams are I/O-bound (a reply mostly waits on the LLM), so thousands at once are normal: the default matches the target of one process holding 10,000 streaming conversations. Each costs memory while it streams (see the README); lower it to bound memory on a small host.',
    { default: 10000 },
  ),
  field(
    'rateLimitCapacity',
    'RATE_LIMIT_CAPACITY',
    positiveInt,
    'a positive integer',
    'Per-user token bucket: messages a user may send in a burst.',
    { default: 10 },
  ),
  field(
    'rateLimitRefillPerSecond',
    'RATE_LIMIT_REFILL_PER_SECOND',
    positiveNumber,
    'a positive number',
    'Per-user token bucket: messages regained per second.',
    { default: 0.2 },
  ),
  field(
    'maxMessageChars',
    'MAX_MESSAGE_CHARS',
    positiveInt,
    'a positive integer',
    'Longest user message answered; longer ones get a polite refusal.',
    { default: 8000 },
  ),
  field(
    'allowedServers',
    'ALLOWED_SERVERS',
    stringList,
    'a comma-separated list of server names',
    "Servers whose users may talk to the bot. Default: the bot's own server. `*` allows every server.",
  ),
  field(
    'allowedUsersRegex',
    'ALLOWED_USERS_REGEX',
    regex,
    'a valid regular expression',
    'Users (full MXID) allowed to talk to the bot; when set it replaces ALLOWED_SERVERS.',
  ),
  field(
    'logLevel',
    'LOG_LEVEL',
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    'one of fatal, error, warn, info, debug, trace, silent',
    'pino log level. Message bodies appear only at `trace`.',
    { default: 'info' },
  ),
  field(
    'queueLeaseMs',
    'QUEUE_LEASE_MS',
    positiveInt,
    'a positive integer',
    'Lease of a job; a process that stops renewing it (crash) loses the job to another after this time.',
    { default: 30000 },
  ),
  field(
    'shutdownGraceMs',
    'SHUTDOWN_GRACE_MS',
    nonNegativeInt,
    'a non-negative integer',
    'On SIGTERM: time given to replies in progress to finish before they are handed back.',
    { default: 10000 },
  ),
  field(
    'prepareConcurrency',
    'PREPARE_CONCURRENCY',
    positiveInt,
    'a positive integer',
    'Jobs preparing at once (room size, history, settings) before their LLM call: when thousands of messages arrive together, the first ones are answered first instead of all advancing in lockstep.',
    { default: 256 },
  ),
  field(
    'homeserverConnections',
    'HOMESERVER_CONNECTIONS',
    positiveInt,
    'a positive integer',
    'Keep-alive connection pool size towards the homeserver.',
    { default: 32 },
  ),
  field(
    'stopPollMs',
    'STOP_POLL_MS',
    positiveInt,
    'a positive integer',
    'How often a reply in progress checks for a `!stop` received by another process.',
    { default: 1000 },
  ),
  field(
    'botDisplayName',
    'BOT_DISPLAY_NAME',
    text,
    'a display name',
    'Display name the bot sets for itself at start.',
    { default: 'Clawdbot' },
  ),
  field(
    'typingTimeoutMs',
    'TYPING_TIMEOUT_MS',
    positiveInt,
    'a positive integer',
    'Typing notification timeout (refreshed while generating, 5 s before it lapses).',
    { default: 30000 },
  ),
] as const satisfies readonly Field[];
