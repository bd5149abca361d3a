// A gateway started inside the test process (the conversation suites), from the same env a real one reads.
import { loadConfig } from '../../src/config/load.ts';
import { type Gateway, startGateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/observability/logger.ts';

export async function startInProcessGateway(env: Record<string, string>): Promise<Gateway> {
  const config = loadConfig(env);
  return startGateway(config, createLogger(config.logLevel, process.stderr as never));
}
