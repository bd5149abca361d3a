// A test run's homeserver: one Synapse (SQLite, loopback, a free port) with the run's appservice
// slots registered, described by a state file that every test process of the run attaches to.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../runtime/ports.ts';
import { LocalSynapse } from '../runtime/synapse.ts';
import { type AppserviceSlot, createSlots } from './slots.ts';

export const STATE_ENV = 'CLAWCHAT_TEST_HOMESERVER';

export interface RunState {
  baseUrl: string;
  serverName: string;
  sharedSecret: string;
  synapseVersion: string;
  claimsDir: string;
  logPath: string;
  slots: AppserviceSlot[];
}

export interface TestRun {
  state: RunState;
  statePath: string;
  synapse: LocalSynapse;
  dir: string;
  stop(options?: { keepFiles?: boolean }): Promise<void>;
  /**
   * The same, synchronously, for a process 'exit' handler (where nothing asynchronous runs): SIGTERM,
   * a wait for Synapse to be gone (SIGKILL after a grace period), then the run's folder removed.
   */
  stopSync(options?: { keepFiles?: boolean }): void;
}

/** True once the process is gone or a zombie (dead, not yet reaped by us): it writes nothing more. */
function isDead(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(') ') + 2, stat.lastIndexOf(') ') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/** Blocks until the process is dead or `ms` have passed; says which. */
function waitDeadSync(pid: number, ms: number): boolean {
  const deadline = Date.now() + ms;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  while (!isDead(pid)) {
    if (Date.now() >= deadline) return false;
    Atomics.wait(sleeper, 0, 0, 25);
  }
  return true;
}

export async function startTestRun(
  options: { log?: (line: string) => void; databaseUrl?: string } = {},
): Promise<TestRun> {
  const dir = mkdtempSync(join(tmpdir(), 'clawchat-test-run-'));
  const serverName = 'localhost';
  const slotCount = Number(process.env.CLAWCHAT_TEST_APPSERVICE_SLOTS ?? 24);
  const slots = await createSlots(slotCount, join(dir, 'appservices'), serverName);
  const instanceDir = join(dir, 'synapse');
  mkdirSync(instanceDir, { recursive: true });
  const synapse = await LocalSynapse.start({
    instanceDir,
    port: await freePort(),
    serverName,
    databaseUrl: options.databaseUrl,
    appserviceFiles: slots.map((slot) => slot.registrationPath),
    // Test users are many and short-lived: cheap password hashing keeps registering them fast.
    extra: { bcrypt_rounds: 4 },
    log: options.log,
  });
  const state: RunState = {
    baseUrl: synapse.baseUrl,
    serverName,
    sharedSecret: synapse.sharedSecret,
    synapseVersion: synapse.version,
    claimsDir: join(dir, 'claims'),
    logPath: synapse.logPath,
    slots,
  };
  const statePath = join(dir, 'state.json');
  writeFileSync(statePath, JSON.stringify(state, null, 2));
  return {
    state,
    statePath,
    synapse,
    dir,
    async stop({ keepFiles = false } = {}) {
      await synapse.stop();
      if (!keepFiles) rmSync(dir, { recursive: true, force: true });
    },
    stopSync({ keepFiles = false } = {}) {
      const { pid } = synapse.child;
      if (pid !== undefined && synapse.running) {
        synapse.child.kill('SIGTERM');
        if (!waitDeadSync(pid, 10_000)) {
          synapse.child.kill('SIGKILL');
          waitDeadSync(pid, 5_000);
        }
      }
      if (!keepFiles) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function readRunState(path: string): RunState {
  return JSON.parse(readFileSync(path, 'utf8')) as RunState;
}
