// The AI gateway as a real child process (`gateway/src/main.ts`) for one appservice slot, talking to
// a fake Anthropic on loopback (the only fake the browser test uses).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppserviceSlot, TestHomeserver } from '@clawchat/local-synapse/harness';

export const repoDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const gatewayDir = join(repoDir, 'gateway');

export interface RunningGateway {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  // Bounded: 120 tries, 250 ms apart (the gateway registers its bot user and checks Synapse first).
  for (let attempt = 0; attempt < 120; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`the gateway exited (${child.exitCode}):\n${output()}`);
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the gateway did not become ready at ${url}:\n${output()}`);
}

export async function startGateway(
  hs: TestHomeserver,
  slot: AppserviceSlot,
  llmUrl: string,
  extraEnv: Record<string, string> = {},
): Promise<RunningGateway> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: gatewayDir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      MATRIX_HOMESERVER_URL: hs.baseUrl,
      MATRIX_SERVER_NAME: hs.serverName,
      GATEWAY_REGISTRATION_FILE: slot.registrationPath,
      GATEWAY_PORT: String(slot.port),
      GATEWAY_HOST: '127.0.0.1',
      LLM_PROVIDER: 'anthropic',
      ANTHROPIC_BASE_URL: llmUrl,
      ANTHROPIC_API_KEY: 'test',
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${slot.port}`;
  const output = () => log;
  try {
    await waitUntilReady(url, child, output);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
