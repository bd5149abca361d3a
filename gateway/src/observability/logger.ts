// pino JSON logs. Tokens, keys and message bodies never reach the log at the default level:
// the known secret paths are redacted, and bodies are only logged at `trace` by the callers.
import { type Logger, pino } from 'pino';

export type { Logger };

export const redactPaths = [
  'asToken',
  'hsToken',
  'accessToken',
  'apiKey',
  'anthropicApiKey',
  'openaiApiKey',
  'redisUrl',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.asToken',
  '*.hsToken',
  '*.accessToken',
  '*.apiKey',
  'body',
  'content.body',
  'content.formatted_body',
  'text',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'clawchat-gateway', pid: process.pid },
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ sync: false }),
  );
}
