// A gateway started inside the test process (the conversation suites), from the same env a real one reads.
import type { DestinationStream } from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { type Gateway, startGateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/observability/logger.ts';

/** `logTo` receives the JSON log lines (default: stderr). */
export async function startInProcessGateway(
  env: Record<string, string>,
  logTo: DestinationStream = process.stderr as never,
): Promise<Gateway> {
  const config = loadConfig(env);
  return startGateway(config, createLogger(config.logLevel, logTo));
}
