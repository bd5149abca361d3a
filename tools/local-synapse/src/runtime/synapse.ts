// One running Synapse: renders its configuration, starts it inside the Debian root, waits for health,
// and stops it cleanly (SIGTERM, then a bounded wait, then SIGKILL).
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RegisteredUser, type RegisterOptions, registerWithSharedSecret } from '../admin/register.ts';
import { ensureDatabase } from '../config/database.ts';
import {
  LOG_CONFIG,
  type LocalConfigOptions,
  type RenderedConfig,
  ROOT_INSTANCE_DIR,
  renderLocalConfig,
} from '../config/render.ts';
import { spawnInRoot } from '../provision/chroot.ts';
import { ensureProvisioned, type ProvisionedRoot } from '../provision/rootfs.ts';
import { isPortFree } from './ports.ts';

export interface SynapseOptions extends LocalConfigOptions {
  /**
   * A configuration rendered elsewhere (e.g. the production template with its own values), used as is
   * instead of the local one. Its paths must point into ROOT_INSTANCE_DIR, where `instanceDir` is mounted;
   * its listener must be on `port`.
   */
  prerendered?: { text: string; registrationSharedSecret: string; logConfig?: string };
  root?: ProvisionedRoot;
  log?: (line: string) => void;
  startTimeoutMs?: number;
}

export class SynapseStartError extends Error {
  override name = 'SynapseStartError';
}

function writePrerendered(
  instanceDir: string,
  config: NonNullable<SynapseOptions['prerendered']>,
): RenderedConfig {
  mkdirSync(join(instanceDir, 'media_store'), { recursive: true });
  const configPath = join(instanceDir, 'homeserver.yaml');
  writeFileSync(configPath, config.text);
  writeFileSync(join(instanceDir, 'log.config'), config.logConfig ?? LOG_CONFIG);
  const secrets = {
    registrationSharedSecret: config.registrationSharedSecret,
    macaroonSecretKey: '',
    formSecret: '',
  };
  return { configPath, secrets, database: { kind: 'sqlite' }, text: config.text };
}

function tail(path: string, lines = 40): string {
  if (!existsSync(path)) return '';
  return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number, logPath: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new SynapseStartError(
        `Synapse exited during start-up (code ${child.exitCode ?? child.signalCode}). Last lines of ${logPath}:\n${tail(logPath)}`,
      );
    }
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 250));
  }
  throw new SynapseStartError(
    `Synapse did not become healthy within ${timeoutMs / 1000}s. Last lines of ${logPath}:\n${tail(logPath)}`,
  );
}

export class LocalSynapse {
  private exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly serverName: string,
    readonly instanceDir: string,
    readonly logPath: string,
    readonly config: RenderedConfig,
    readonly version: string,
  ) {
    this.exited = new Promise((resolvePromise) => child.once('exit', () => resolvePromise()));
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get sharedSecret(): string {
    return this.config.secrets.registrationSharedSecret;
  }

  static async start(options: SynapseOptions): Promise<LocalSynapse> {
    const log = options.log ?? ((line: string) => console.log(line));
    const root = options.root ?? (await ensureProvisioned({ log }));
    if (!(await isPortFree(options.port))) {
      throw new SynapseStartError(
        `port ${options.port} on 127.0.0.1 is busy: a homeserver (perhaps another \`npm start\`) or another program ` +
          'already listens there. Stop it, or choose another port with SYNAPSE_PORT.',
      );
    }
    const config = options.prerendered
      ? writePrerendered(options.instanceDir, options.prerendered)
      : renderLocalConfig(options);
    if (config.database.kind === 'postgres') {
      const outcome = await ensureDatabase(config.database.target);
      if (outcome === 'created')
        log(`[synapse] created PostgreSQL database "${config.database.target.database}" (C collation)`);
    }
    const logPath = join(options.instanceDir, 'synapse.log');
    const binds = [{ host: options.instanceDir, target: ROOT_INSTANCE_DIR }];
    const configInRoot = `${ROOT_INSTANCE_DIR}/homeserver.yaml`;

    if (!existsSync(join(options.instanceDir, 'signing.key'))) {
      const keygen = spawnInRoot({
        root: root.root,
        binds,
        argv: ['python3', '-m', 'synapse.app.homeserver', '-c', configInRoot, '--generate-keys'],
        stdio: 'ignore',
      });
      const code = await new Promise<number>((resolvePromise) =>
        keygen.on('close', (c) => resolvePromise(c ?? 1)),
      );
      if (code !== 0)
        throw new SynapseStartError(`Synapse could not generate its signing key (exit ${code}).`);
    }

    const logFd = openSync(logPath, 'a');
    const child = spawnInRoot({
      root: root.root,
      binds,
      argv: ['python3', '-m', 'synapse.app.homeserver', '-c', configInRoot],
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    const instance = new LocalSynapse(
      child,
      options.port,
      options.serverName ?? 'localhost',
      options.instanceDir,
      logPath,
      config,
      root.synapseVersion,
    );
    try {
      await waitForHealth(instance.baseUrl, child, options.startTimeoutMs ?? 120_000, logPath);
    } catch (error) {
      await instance.stop();
      throw error;
    }
    return instance;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(timeoutMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  registerUser(options: RegisterOptions): Promise<RegisteredUser> {
    return registerWithSharedSecret(this.baseUrl, this.sharedSecret, options);
  }
}
