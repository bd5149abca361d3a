// The test harness every package uses: the run's one Synapse (started once by `test-run`, or by the
// first test process when a test file runs on its own), fresh users, real matrix-js-sdk clients, and
// application-service slots.
import { randomBytes } from 'node:crypto';
import type { MatrixClient } from 'matrix-js-sdk';
import { type RegisteredUser, registerWithSharedSecret } from '../admin/register.ts';
import { createUserClient, startAndSync } from './matrix-client.ts';
import { type RunState, readRunState, STATE_ENV, startTestRun } from './run.ts';
import { type AppserviceSlot, claimSlot } from './slots.ts';

export type { RegisteredUser } from '../admin/register.ts';
export { startAndSync } from './matrix-client.ts';
export type { AppserviceSlot } from './slots.ts';

export interface TestHomeserver {
  baseUrl: string;
  serverName: string;
  synapseVersion: string;
  /** Synapse's log of this run, to point at when a test fails. */
  logPath: string;
  registerUser(options?: { admin?: boolean; localpart?: string; password?: string }): Promise<RegisteredUser>;
  createClient(user: RegisteredUser): MatrixClient;
  /** A fresh user with a client whose first sync is done. */
  createSyncedUser(options?: { admin?: boolean }): Promise<{ user: RegisteredUser; client: MatrixClient }>;
  claimAppservice(): AppserviceSlot;
}

let current: Promise<TestHomeserver> | undefined;

export function uniqueLocalpart(prefix = 'user'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

function homeserverFrom(state: RunState): TestHomeserver {
  const clients: MatrixClient[] = [];
  process.once('beforeExit', () => {
    for (const client of clients) client.stopClient();
  });
  const hs: TestHomeserver = {
    baseUrl: state.baseUrl,
    serverName: state.serverName,
    synapseVersion: state.synapseVersion,
    logPath: state.logPath,
    registerUser(options = {}) {
      return registerWithSharedSecret(state.baseUrl, state.sharedSecret, {
        localpart: options.localpart ?? uniqueLocalpart(),
        password: options.password ?? randomBytes(12).toString('base64url'),
        admin: options.admin,
      });
    },
    createClient(user) {
      const client = createUserClient(state.baseUrl, user);
      clients.push(client);
      return client;
    },
    async createSyncedUser(options = {}) {
      const user = await hs.registerUser(options);
      const client = hs.createClient(user);
      await startAndSync(client);
      return { user, client };
    },
    claimAppservice() {
      return claimSlot(state.slots, state.claimsDir, `pid ${process.pid} ${process.argv[1] ?? ''}`);
    },
  };
  return hs;
}

async function startOwnRun(): Promise<TestHomeserver> {
  const run = await startTestRun({ log: (line) => console.error(line) });
  // This process owns the homeserver: it must not keep the test runner alive, and goes with the process,
  // its folder (/tmp/clawchat-test-run-*) too; kept, and named, when the process fails, for its logs.
  run.synapse.child.unref();
  let stopped = false;
  const stopRun = (keepFiles: boolean) => {
    if (stopped) return;
    stopped = true;
    run.stopSync({ keepFiles });
    if (keepFiles) console.error(`[synapse] test run failed; the homeserver's files are kept in ${run.dir}`);
  };
  process.once('exit', (code) => stopRun(code !== 0));
  // 'exit' does not run when a signal ends the process: take the homeserver along on those too.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      stopRun(false);
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
  process.env[STATE_ENV] = run.statePath;
  return homeserverFrom(run.state);
}

/**
 * The run's homeserver. Under `npm test` (or `clawchat-synapse test-run -- <cmd>`), every test process
 * attaches to the one Synapse started for the run; a test file run on its own starts its own.
 */
export function getTestHomeserver(): Promise<TestHomeserver> {
  current ??= (async () => {
    const statePath = process.env[STATE_ENV];
    return statePath ? homeserverFrom(readRunState(statePath)) : startOwnRun();
  })();
  return current;
}
