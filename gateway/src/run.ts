// Runs the gateway as a process: config (a bad value stops it with a message naming the key),
// logger, start, and graceful shutdown on SIGTERM/SIGINT.
import { ConfigError, loadConfig, redactedConfig } from './config/load.ts';
import { startGateway } from './gateway.ts';
import { createLogger } from './observability/logger.ts';
import { usableCores, v8PoolWarning } from './runtime/gc-threads.ts';
import { applyHeapGrowingPercent } from './runtime/heap.ts';

export async function runGateway(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  applyHeapGrowingPercent(config.heapGrowingPercent);
  const log = createLogger(config.logLevel);
  log.debug({ config: redactedConfig(config) }, 'configuration');
  const gcWarning = v8PoolWarning({
    execArgv: process.execArgv,
    nodeOptions: process.env.NODE_OPTIONS,
    cores: usableCores(),
    jsThreads: 1 + config.llmStreamThreads,
  });
  if (gcWarning) log.warn(gcWarning);
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway(config, log);
  } catch (error) {
    log.fatal({ err: error }, 'the gateway could not start');
    log.flush();
    process.stderr.write(`The gateway could not start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  let signals = 0;
  const shutdown = (signal: string) => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    log.info({ signal }, 'shutting down');
    gateway.stop().then(
      () => {
        log.flush();
        process.exit(0);
      },
      (error) => {
        log.error({ err: error }, 'shutdown failed');
        log.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
