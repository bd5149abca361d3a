#!/usr/bin/env -S npx tsx
// clawchat-synapse: the local homeserver from the command line.
//   provision [--rebuild]                 build the Debian root with Synapse (once per machine)
//   start [--port N] [--appservice FILE]… run Synapse in the foreground until Ctrl-C
//   register --user NAME --password PW [--admin]   create a user on the running local Synapse
//   test-run -- COMMAND…                  run COMMAND with one Synapse for the whole test run
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { registerWithSharedSecret } from './admin/register.ts';
import type { LocalSecrets } from './config/render.ts';
import { STATE_ENV, startTestRun } from './harness/run.ts';
import { cacheDir, dataDir } from './paths.ts';
import { ensureProvisioned, inspectCache } from './provision/rootfs.ts';
import { LocalSynapse } from './runtime/synapse.ts';

const USAGE = `usage: clawchat-synapse <command> [options]
  provision [--rebuild]                          build the Debian root with Synapse (once per machine)
  start [--port 8008] [--appservice FILE]...     run the local Synapse in the foreground (data in .data/synapse)
  register --user NAME --password PW [--admin]   register a user on the running local Synapse
  test-run -- COMMAND [ARGS...]                  run COMMAND with one Synapse for the whole test run
environment: CLAWCHAT_CACHE_DIR, CLAWCHAT_DATA_DIR, SYNAPSE_PORT, DATABASE_URL (see README.md)`;

class UsageError extends Error {}

function portFrom(value: string | undefined, what: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`${what} must be a port number from 1 to 65535, got "${value}"`);
  return port;
}

async function provision(args: string[]) {
  const { values } = parseArgs({
    args,
    options: { rebuild: { type: 'boolean', default: false } },
    strict: true,
  });
  // A rebuild takes the provisioning lock like any provisioning: it never pulls the root from under
  // another process that is provisioning it.
  const root = await ensureProvisioned({ rebuild: values.rebuild });
  const state = inspectCache(cacheDir());
  console.log(
    `Synapse ${root.synapseVersion} (Python ${root.pythonVersion}) is ready in ${root.root} [${state.state}]`,
  );
}

async function start(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: process.env.SYNAPSE_PORT ?? '8008' },
      appservice: { type: 'string', multiple: true, default: [] },
    },
    strict: true,
  });
  const port = portFrom(values.port, '--port');
  for (const file of values.appservice ?? [])
    if (!existsSync(file)) throw new UsageError(`--appservice ${file}: no such file`);
  const synapse = await LocalSynapse.start({
    instanceDir: join(dataDir(), 'synapse'),
    port,
    databaseUrl: process.env.DATABASE_URL || undefined,
    appserviceFiles: values.appservice,
  });
  console.log(
    `Synapse ${synapse.version} is up at http://localhost:${port} (logs: ${synapse.logPath}). Ctrl-C stops it.`,
  );
  await new Promise<void>((resolvePromise) => {
    const stop = () => resolvePromise();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    synapse.child.once('exit', stop);
  });
  await synapse.stop();
  console.log('Synapse stopped.');
}

async function register(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      user: { type: 'string' },
      password: { type: 'string' },
      admin: { type: 'boolean', default: false },
      port: { type: 'string', default: process.env.SYNAPSE_PORT ?? '8008' },
    },
    strict: true,
  });
  if (!values.user || !values.password) throw new UsageError('register needs --user NAME and --password PW');
  const secretsPath = join(dataDir(), 'synapse', 'secrets.json');
  if (!existsSync(secretsPath))
    throw new UsageError(`no local Synapse data in ${join(dataDir(), 'synapse')}: run \`npm start\` first`);
  const secrets = JSON.parse(readFileSync(secretsPath, 'utf8')) as LocalSecrets;
  const user = await registerWithSharedSecret(
    `http://127.0.0.1:${portFrom(values.port, '--port')}`,
    secrets.registrationSharedSecret,
    {
      localpart: values.user,
      password: values.password,
      admin: values.admin,
    },
  );
  console.log(`registered ${user.userId}${values.admin ? ' (admin)' : ''}`);
}

async function testRun(args: string[]) {
  const command = args[0] === '--' ? args.slice(1) : args;
  if (command.length === 0) throw new UsageError('test-run needs a command after --');
  const started = Date.now();
  const run = await startTestRun({ log: (line) => console.log(line) });
  console.log(
    `[synapse] test homeserver ${run.state.synapseVersion} at ${run.state.baseUrl} (${Math.round((Date.now() - started) / 1000)}s; log: ${run.state.logPath})`,
  );
  let code = 1;
  const child = spawn(command[0] as string, command.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, [STATE_ENV]: run.statePath },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    code = await new Promise<number>((resolvePromise) =>
      child.on('close', (c, signal) => resolvePromise(c ?? (signal ? 1 : 0))),
    );
  } finally {
    await run.stop({ keepFiles: code !== 0 });
    if (code !== 0) console.log(`[synapse] test run failed; the homeserver's files are kept in ${run.dir}`);
  }
  process.exitCode = code;
}

const commands: Record<string, (args: string[]) => Promise<void>> = {
  provision,
  start,
  register,
  'test-run': testRun,
};

const [name, ...rest] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  console.error(name && name !== '--help' ? `unknown command "${name}"\n${USAGE}` : USAGE);
  process.exit(name === '--help' ? 0 : 2);
}
command(rest).catch((error: Error) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`clawchat-synapse ${name}: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(`clawchat-synapse ${name}: ${error.message}`);
  process.exit(1);
});
