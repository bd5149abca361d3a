// `npm start`: the whole stack on this machine. The local Synapse (provisioned the first time), the
// gateway on embedded defaults (no Redis; the demo LLM unless a key is set), and the web app.
// Ctrl-C stops everything.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createRegistration,
  parseRegistration,
  renderRegistration,
} from '@clawchat/common/appservice-registration';
import { dataDir, LocalSynapse, repoRoot } from '@clawchat/local-synapse';

const env = process.env;
const SERVER_NAME = 'localhost';

function port(name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    console.error(`${name} must be a port number from 1 to 65535, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

const synapsePort = port('SYNAPSE_PORT', 8008);
const gatewayPort = port('GATEWAY_PORT', 9000);
const webPort = port('WEB_PORT', 8081);
const data = dataDir();
const logs = join(data, 'logs');
mkdirSync(logs, { recursive: true });

/** The gateway's registration: made once with fresh tokens, kept across runs (its URL follows GATEWAY_PORT). */
function gatewayRegistration(): string {
  const path = join(data, 'gateway', 'registration.yaml');
  const url = `http://127.0.0.1:${gatewayPort}`;
  mkdirSync(join(data, 'gateway'), { recursive: true });
  if (existsSync(path)) {
    const existing = parseRegistration(readFileSync(path, 'utf8'), path);
    if (existing.url === url) return path;
    writeFileSync(path, renderRegistration({ ...existing, url }), { mode: 0o600 });
    return path;
  }
  const registration = createRegistration({
    id: 'clawchat-gateway',
    url,
    senderLocalpart: 'clawbot',
    serverName: SERVER_NAME,
  });
  writeFileSync(path, renderRegistration(registration), { mode: 0o600 });
  return path;
}

const children: ChildProcess[] = [];

function launch(
  name: string,
  command: string,
  args: string[],
  extraEnv: Record<string, string>,
): ChildProcess {
  const logPath = join(logs, `${name}.log`);
  const fd = openSync(logPath, 'a');
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', fd, fd],
  });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[clawchat] ${name} exited (${signal ?? code}); see ${logPath}. Stopping the stack.`);
      void stop(1);
    }
  });
  return child;
}

async function waitForUrl(url: string, what: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited during start-up`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 300));
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs / 1000}s`);
}

function run(command: string, args: string[], extraEnv: Record<string, string>): Promise<number> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...env, ...extraEnv }, stdio: 'inherit' });
    child.on('close', (code) => resolvePromise(code ?? 1));
  });
}

let synapse: LocalSynapse | undefined;
let stopping = false;

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('[clawchat] stopping…');
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(
    children.map((child) =>
      child.exitCode === null
        ? new Promise((resolvePromise) => child.once('exit', resolvePromise))
        : undefined,
    ),
  );
  await synapse?.stop();
  console.log('[clawchat] stopped.');
  process.exit(code);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  const registrationPath = gatewayRegistration();
  synapse = await LocalSynapse.start({
    instanceDir: join(data, 'synapse'),
    port: synapsePort,
    serverName: SERVER_NAME,
    databaseUrl: env.DATABASE_URL || undefined,
    appserviceFiles: [registrationPath],
  });
  console.log(`[clawchat] Synapse ${synapse.version} is up (log: ${synapse.logPath})`);

  const gateway = launch('gateway', process.execPath, ['--import', 'tsx', 'gateway/src/main.ts'], {
    MATRIX_HOMESERVER_URL: synapse.baseUrl,
    MATRIX_SERVER_NAME: SERVER_NAME,
    GATEWAY_REGISTRATION_FILE: registrationPath,
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: String(gatewayPort),
  });
  await waitForUrl(`http://127.0.0.1:${gatewayPort}/healthz`, 'the gateway', gateway, 60_000);
  console.log(`[clawchat] the gateway is up (log: ${join(logs, 'gateway.log')})`);

  const webEnv = {
    EXPO_PUBLIC_MATRIX_HOMESERVER: `http://localhost:${synapsePort}`,
    EXPO_PUBLIC_BOT_USER_ID: `@clawbot:${SERVER_NAME}`,
  };
  console.log('[clawchat] building the web app (the first time takes about a minute)…');
  if ((await run('npm', ['run', '--silent', 'build:web', '-w', 'app'], webEnv)) !== 0) {
    throw new Error('the web build failed; see the output above');
  }
  const web = launch(
    'web',
    process.execPath,
    ['app/scripts/serve-web.mjs', '--port', String(webPort)],
    webEnv,
  );
  await waitForUrl(`http://localhost:${webPort}/`, 'the web app', web, 60_000);

  const provider = env.LLM_PROVIDER || (env.ANTHROPIC_API_KEY ? 'anthropic' : 'demo');
  console.log(`
  ClawChat is running.

    App (web)      http://localhost:${webPort}          open it, register, and chat with the AI
    Homeserver     http://localhost:${synapsePort}          Synapse ${synapse.version} (server name "${SERVER_NAME}")
    AI gateway     http://127.0.0.1:${gatewayPort}/healthz  bot @clawbot:${SERVER_NAME}, LLM provider "${provider}"
    Metrics        http://127.0.0.1:${gatewayPort}/metrics

    Logs           ${logs}/ and ${synapse.logPath}
    Data           ${data} (delete it to start afresh)

  Ctrl-C stops everything.
`);
} catch (error) {
  console.error(`[clawchat] ${(error as Error).message}`);
  await stop(1);
}
