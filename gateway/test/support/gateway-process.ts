// A gateway as a real child process (`tsx src/main.ts`), for the multi-process and SIGKILL tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const gatewayRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface GatewayProcess {
  child: ChildProcess;
  /** JSON log lines seen so far. */
  logs: Array<Record<string, unknown>>;
  /** Resolves once the gateway logged that it started. */
  started: Promise<void>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnGateway(env: Record<string, string>, name: string): GatewayProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: gatewayRoot,
    // Info level: the tests read the start-up line (and job lines) from the JSON log.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let resolveStarted!: () => void;
  let rejectStarted!: (error: Error) => void;
  const started = new Promise<void>((resolve, reject) => {
    resolveStarted = resolve;
    rejectStarted = reject;
  });
  let buffer = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf('\n');
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'gateway started') resolveStarted();
        if (typeof entry.level === 'number' && entry.level >= 50) process.stderr.write(`[${name}] ${line}\n`);
      } catch {
        process.stderr.write(`[${name}] ${line}\n`);
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => process.stderr.write(`[${name}] ${chunk}`));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  exited.then((code) => rejectStarted(new Error(`${name} exited with ${code} before starting`)));
  const startTimer = setTimeout(() => rejectStarted(new Error(`${name} did not start within 60 s`)), 60_000);
  started.finally(() => clearTimeout(startTimer)).catch(() => {});
  started.catch(() => {});
  return {
    child,
    logs,
    started,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
