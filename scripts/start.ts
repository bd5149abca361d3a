// `npm start`: the whole stack on this machine. The local Synapse (provisioned the first time), the
// gateway on embedded defaults (no Redis; the demo LLM unless a key is set), and the web app.
// With MATRIX_HOMESERVER_URL set, no local Synapse: the gateway and the web app use that homeserver,
// which must have the gateway's registration loaded (printed at start, with where it must go).
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
import { advisedV8PoolSize, usableCores } from '../gateway/src/runtime/gc-threads.ts';

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

/** Where the homeserver pushes transactions to the gateway (the registration's `url`). */
const gatewayUrl = (env.CLAWCHAT_GATEWAY_URL || `http://127.0.0.1:${gatewayPort}`).replace(/\/+$/, '');

/** A file of the gateway's in the data folder, one per server name (the local one: the plain name). */
function perServerFile(serverName: string, base: string, extension: string): string {
  const name =
    serverName === SERVER_NAME
      ? `${base}.${extension}`
      : `${base}.${serverName.replace(/[^A-Za-z0-9.-]/g, '_')}.${extension}`;
  return join(data, 'gateway', name);
}

/**
 * The gateway's registration for a server name: made once with fresh tokens, kept across runs (its URL
 * follows GATEWAY_PORT / CLAWCHAT_GATEWAY_URL). One file per server name, so that pointing `npm start`
 * at another homeserver never changes the tokens a homeserver already loaded.
 */
function gatewayRegistration(serverName: string): { path: string; asToken: string } {
  const path = perServerFile(serverName, 'registration', 'yaml');
  mkdirSync(join(data, 'gateway'), { recursive: true });
  if (existsSync(path)) {
    const existing = parseRegistration(readFileSync(path, 'utf8'), path);
    if (existing.url !== gatewayUrl) {
      writeFileSync(path, renderRegistration({ ...existing, url: gatewayUrl }), { mode: 0o600 });
    }
    return { path, asToken: existing.as_token };
  }
  const registration = createRegistration({
    id: 'clawchat-gateway',
    url: gatewayUrl,
    senderLocalpart: 'clawbot',
    serverName,
  });
  writeFileSync(path, renderRegistration(registration), { mode: 0o600 });
  return { path, asToken: registration.as_token };
}

/** MATRIX_HOMESERVER_URL, checked: an http(s) URL, without a trailing slash; undefined when unset. */
function externalHomeserver(): string | undefined {
  const raw = env.MATRIX_HOMESERVER_URL?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    console.error(`MATRIX_HOMESERVER_URL must be a URL such as https://matrix.example.org, got "${raw}"`);
    process.exit(2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    console.error(`MATRIX_HOMESERVER_URL must be an http:// or https:// URL, got "${raw}"`);
    process.exit(2);
  }
  return raw.replace(/\/+$/, '');
}

async function getJson(
  url: string,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: response.status, body };
}

/**
 * The homeserver's server name: MATRIX_SERVER_NAME, else what its federation key endpoint says, else the
 * URL's host name (right when the homeserver is not delegated from another name).
 */
async function serverNameOf(baseUrl: string): Promise<{ name: string; from: string }> {
  if (env.MATRIX_SERVER_NAME) return { name: env.MATRIX_SERVER_NAME, from: 'MATRIX_SERVER_NAME' };
  try {
    const { status, body } = await getJson(`${baseUrl}/_matrix/key/v2/server`);
    if (status === 200 && typeof body.server_name === 'string' && body.server_name) {
      return { name: body.server_name, from: 'the homeserver' };
    }
  } catch {
    // no federation listener on this URL: fall back to the host name
  }
  return {
    name: new URL(baseUrl).hostname,
    from: "the URL's host name; set MATRIX_SERVER_NAME when user ids end in another name",
  };
}

/** Whether the homeserver accepts the registration's as_token, i.e. has the registration loaded. */
async function registrationLoaded(baseUrl: string, asToken: string): Promise<string | undefined> {
  const { status, body } = await getJson(`${baseUrl}/_matrix/client/v3/account/whoami`, asToken);
  return status === 200 && typeof body.user_id === 'string' ? body.user_id : undefined;
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

const external = externalHomeserver();

try {
  let homeserverUrl: string;
  let serverName: string;
  let homeserverLine: string;
  let registration: { path: string; asToken: string };
  if (external) {
    // Someone else's homeserver: nothing to provision or start here.
    try {
      const versions = await getJson(`${external}/_matrix/client/versions`);
      if (!Array.isArray(versions.body.versions)) throw new Error(`HTTP ${versions.status}`);
    } catch (error) {
      throw new Error(
        `MATRIX_HOMESERVER_URL=${external} does not answer /_matrix/client/versions (${(error as Error).message})`,
      );
    }
    const name = await serverNameOf(external);
    homeserverUrl = external;
    serverName = name.name;
    registration = gatewayRegistration(serverName);
    homeserverLine = `${external}   your homeserver (server name "${serverName}", from ${name.from})`;
    console.log(`[clawchat] using the homeserver at ${external} (MATRIX_HOMESERVER_URL); no local Synapse.`);
    console.log(
      `[clawchat] it must have the gateway's registration loaded: ${registration.path}\n` +
        `           copy it to the homeserver's machine, name it in app_service_config_files of its\n` +
        `           homeserver.yaml and restart Synapse; it must reach the gateway at ${gatewayUrl}\n` +
        '           (CLAWCHAT_GATEWAY_URL changes that URL, GATEWAY_HOST where the gateway listens).',
    );
  } else {
    serverName = SERVER_NAME;
    registration = gatewayRegistration(serverName);
    synapse = await LocalSynapse.start({
      instanceDir: join(data, 'synapse'),
      port: synapsePort,
      serverName: SERVER_NAME,
      databaseUrl: env.DATABASE_URL || undefined,
      appserviceFiles: [registration.path],
    });
    console.log(`[clawchat] Synapse ${synapse.version} is up (log: ${synapse.logPath})`);
    homeserverUrl = `http://localhost:${synapsePort}`;
    homeserverLine = `${homeserverUrl}          Synapse ${synapse.version} (server name "${SERVER_NAME}")`;
  }

  // V8's garbage-collection helpers sized to the cores the gateway's event loops leave (runtime/gc-threads.ts).
  const streamThreads = Number(env.LLM_STREAM_THREADS || 1);
  const poolSize = advisedV8PoolSize(
    usableCores(),
    1 + (Number.isInteger(streamThreads) ? streamThreads : 1),
  );
  const gatewayArgs = [`--v8-pool-size=${poolSize}`, '--import', 'tsx', 'gateway/src/main.ts'];
  const gateway = launch('gateway', process.execPath, gatewayArgs, {
    MATRIX_HOMESERVER_URL: synapse ? synapse.baseUrl : homeserverUrl,
    MATRIX_SERVER_NAME: serverName,
    GATEWAY_REGISTRATION_FILE: registration.path,
    GATEWAY_HOST: (external && env.GATEWAY_HOST) || '127.0.0.1',
    GATEWAY_PORT: String(gatewayPort),
    // The embedded queue keeps its journal here: what was queued is answered after a restart.
    ...(env.REDIS_URL
      ? {}
      : { QUEUE_JOURNAL_FILE: env.QUEUE_JOURNAL_FILE || perServerFile(serverName, 'queue', 'jsonl') }),
  });
  await waitForUrl(`http://127.0.0.1:${gatewayPort}/healthz`, 'the gateway', gateway, 60_000);
  console.log(`[clawchat] the gateway is up (log: ${join(logs, 'gateway.log')})`);

  let registrationStatus = '';
  if (external) {
    const botUserId = `@clawbot:${serverName}`;
    const loadedAs = await registrationLoaded(homeserverUrl, registration.asToken).catch(() => undefined);
    if (loadedAs === botUserId) {
      registrationStatus = `    Registration   ${registration.path} (loaded by the homeserver)\n`;
      console.log(
        `[clawchat] the homeserver has the gateway's registration loaded (the bot is ${botUserId})`,
      );
    } else if (loadedAs) {
      registrationStatus = `    Registration   ${registration.path} (loaded, but the homeserver names the bot ${loadedAs})\n`;
      console.error(
        `[clawchat] the homeserver knows the gateway's token as ${loadedAs}, not ${botUserId}: set ` +
          `MATRIX_SERVER_NAME=${loadedAs.slice(loadedAs.indexOf(':') + 1)} and run npm start again.`,
      );
    } else {
      registrationStatus = `    Registration   ${registration.path} (NOT loaded by the homeserver yet)\n`;
      console.error(
        `[clawchat] the homeserver does not accept the gateway's as_token yet: load ${registration.path}\n` +
          '           there (app_service_config_files) and restart it; the bot answers once it is loaded.',
      );
    }
  }

  const webEnv = {
    EXPO_PUBLIC_MATRIX_HOMESERVER: homeserverUrl,
    EXPO_PUBLIC_BOT_USER_ID: `@clawbot:${serverName}`,
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
    Homeserver     ${homeserverLine}
    AI gateway     http://127.0.0.1:${gatewayPort}/healthz  bot @clawbot:${serverName}, LLM provider "${provider}"
    Metrics        http://127.0.0.1:${gatewayPort}/metrics
${registrationStatus}
    Logs           ${logs}/${synapse ? ` and ${synapse.logPath}` : ''}
    Data           ${data} (delete it to start afresh)

  Ctrl-C stops everything.
`);
} catch (error) {
  console.error(`[clawchat] ${(error as Error).message}`);
  await stop(1);
}
