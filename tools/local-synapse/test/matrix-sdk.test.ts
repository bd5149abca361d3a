import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dropDatabase, parseDatabaseUrl } from '../src/config/database.ts';
import { getTestHomeserver } from '../src/harness/index.ts';
import { createUserClient } from '../src/harness/matrix-client.ts';
import { freePort } from '../src/runtime/ports.ts';
import { LocalSynapse } from '../src/runtime/synapse.ts';
import { ensurePostgres, postgresUrl } from './fixtures/services.ts';
import { runMatrixFlows } from './matrix-flows.ts';

describe('the real matrix-js-sdk against the local Synapse', () => {
  test('on SQLite (the run homeserver): register, log in, DM, invite/join, sync, typing, edit, redaction, history, M_FORBIDDEN', async () => {
    const hs = await getTestHomeserver();
    assert.match(hs.synapseVersion, /^1\.160\./);
    await runMatrixFlows(hs);
  });

  describe('on PostgreSQL', () => {
    let synapse: LocalSynapse;
    let dir: string;
    const databaseUrl = postgresUrl(`clawchat_flows_${randomBytes(4).toString('hex')}`);

    before(async () => {
      await ensurePostgres();
      dir = mkdtempSync(join(tmpdir(), 'clawchat-pg-'));
      synapse = await LocalSynapse.start({
        instanceDir: dir,
        port: await freePort(),
        databaseUrl,
        log: () => {},
      });
    });

    after(async () => {
      await synapse?.stop();
      await dropDatabase(parseDatabaseUrl(databaseUrl)).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    });

    test('the same flows', async () => {
      assert.equal(synapse.config.database.kind, 'postgres');
      await runMatrixFlows({
        baseUrl: synapse.baseUrl,
        registerUser: (options = {}) =>
          synapse.registerUser({
            localpart: `pg-${randomBytes(4).toString('hex')}`,
            password: randomBytes(12).toString('base64url'),
            ...options,
          }),
        createClient: (user) => createUserClient(synapse.baseUrl, user),
      });
    });
  });
});
