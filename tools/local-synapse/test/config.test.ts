import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createRegistration, renderRegistration } from '@clawchat/common/appservice-registration';
import { RenderError, renderTemplate } from '@clawchat/server/render';
import pg from 'pg';
import { parse } from 'yaml';
import { DatabaseUrlError, dropDatabase, ensureDatabase, parseDatabaseUrl } from '../src/config/database.ts';
import { renderLocalConfig } from '../src/config/render.ts';
import { freePort } from '../src/runtime/ports.ts';
import { LocalSynapse } from '../src/runtime/synapse.ts';
import { scratchDirs } from './fixtures/scratch.ts';
import { ensurePostgres, POSTGRES_BASE, postgresUrl } from './fixtures/services.ts';

const scratch = scratchDirs('clawchat-config-');

describe('homeserver.yaml rendering', () => {
  test('SQLite: every placeholder filled, loopback, open registration, the registrations listed', () => {
    const dir = scratch();
    const registrationPath = join(dir, 'clawdbot.yaml');
    writeFileSync(
      registrationPath,
      renderRegistration(
        createRegistration({
          id: 'clawdbot',
          url: 'http://127.0.0.1:9000',
          senderLocalpart: 'clawbot',
          serverName: 'localhost',
        }),
      ),
    );
    const rendered = renderLocalConfig({
      instanceDir: dir,
      port: 18123,
      appserviceFiles: [registrationPath],
    });
    assert.doesNotMatch(rendered.text, /\$\{/, 'no placeholder is left');
    const config = parse(rendered.text);
    assert.equal(config.server_name, 'localhost');
    assert.deepEqual(config.listeners[0].bind_addresses, ['127.0.0.1']);
    assert.equal(config.listeners[0].port, 18123);
    assert.equal(config.database.name, 'sqlite3');
    assert.equal(config.enable_registration, true);
    assert.deepEqual(config.app_service_config_files, ['/clawchat/synapse/appservices/clawdbot.yaml']);
    assert.equal(
      readFileSync(join(dir, 'appservices', 'clawdbot.yaml'), 'utf8'),
      readFileSync(registrationPath, 'utf8'),
    );
    assert.ok(config.rc_message.per_second >= 1000, 'rate limits suited to tests');

    const again = renderLocalConfig({ instanceDir: dir, port: 18123 });
    assert.equal(
      again.secrets.registrationSharedSecret,
      rendered.secrets.registrationSharedSecret,
      'secrets survive restarts',
    );
  });

  test('PostgreSQL: a psycopg2 section from DATABASE_URL', () => {
    const rendered = renderLocalConfig({
      instanceDir: scratch(),
      port: 18124,
      databaseUrl: 'postgresql://synapse:s3cret@127.0.0.1:5433/clawchat',
    });
    const config = parse(rendered.text);
    assert.doesNotMatch(rendered.text, /\$\{/);
    assert.equal(config.database.name, 'psycopg2');
    assert.deepEqual(
      {
        user: config.database.args.user,
        password: config.database.args.password,
        dbname: config.database.args.dbname,
        host: config.database.args.host,
        port: config.database.args.port,
      },
      { user: 'synapse', password: 's3cret', dbname: 'clawchat', host: '127.0.0.1', port: 5433 },
    );
  });

  test('a template variable without a value is named', () => {
    assert.throws(
      () =>
        renderTemplate(
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the template's placeholder syntax, on purpose
          'a: ${DOMAIN}\nb: ${MISSING_ONE}\nc: ${WITH_DEFAULT:-x}\n',
          { DOMAIN: 'd' },
          'example.yaml',
        ),
      (error: RenderError) =>
        error instanceof RenderError &&
        /MISSING_ONE/.test(error.message) &&
        !/WITH_DEFAULT/.test(error.message),
    );
  });
});

describe('DATABASE_URL errors are clear', () => {
  const cases: Array<[string, RegExp]> = [
    ['not a url', /DATABASE_URL is not a URL.*postgres:\/\/USER/],
    ['mysql://root@127.0.0.1/synapse', /must start with postgres:\/\/ or postgresql:\/\//],
    ['postgres://user:pw@127.0.0.1:5432/', /no database name/],
    ['postgres://user:pw@127.0.0.1:99999/db', /invalid port|not a URL/],
  ];
  for (const [url, message] of cases) {
    test(`"${url}"`, () => {
      assert.throws(
        () => parseDatabaseUrl(url),
        (error: Error) => error instanceof DatabaseUrlError && message.test(error.message),
      );
    });
  }

  test('the password never appears in a message', () => {
    assert.throws(
      () => parseDatabaseUrl('postgres://user:hunter2@127.0.0.1:5432/'),
      (error: Error) => !error.message.includes('hunter2'),
    );
  });

  test('an unreachable server stops the start with a message naming host and port', async () => {
    const closed = await freePort();
    await assert.rejects(
      LocalSynapse.start({
        instanceDir: scratch(),
        port: await freePort(),
        databaseUrl: `postgres://postgres@127.0.0.1:${closed}/clawchat`,
        log: () => {},
      }),
      (error: Error) =>
        new RegExp(`cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${closed}`).test(error.message),
    );
  });

  test('the database is created with C collation; an existing one with another collation is refused', async () => {
    await ensurePostgres();
    const name = `clawchat_collate_${randomBytes(4).toString('hex')}`;
    const target = parseDatabaseUrl(postgresUrl(name));
    try {
      assert.equal(await ensureDatabase(target), 'created');
      assert.equal(await ensureDatabase(target), 'existing');
      const client = new pg.Client({ connectionString: `${POSTGRES_BASE}/${name}` });
      await client.connect();
      const { rows } = await client.query(
        'SELECT datcollate FROM pg_database WHERE datname = current_database()',
      );
      await client.end();
      assert.equal(rows[0].datcollate, 'C');
    } finally {
      await dropDatabase(target);
    }

    const wrong = parseDatabaseUrl(postgresUrl(`clawchat_wrong_${randomBytes(4).toString('hex')}`));
    const admin = new pg.Client({ connectionString: `${POSTGRES_BASE}/postgres` });
    await admin.connect();
    await admin.query(
      `CREATE DATABASE "${wrong.database}" ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0`,
    );
    await admin.end();
    try {
      await assert.rejects(ensureDatabase(wrong), /needs C\/C/);
    } finally {
      await dropDatabase(wrong);
    }
  });
});

describe('running', () => {
  test('a second start on a busy port says so', async () => {
    const port = await freePort();
    const blocker = createServer().listen(port, '127.0.0.1');
    try {
      await assert.rejects(
        LocalSynapse.start({ instanceDir: scratch(), port, log: () => {} }),
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is busy`),
      );
    } finally {
      blocker.close();
    }
  });

  test('data survives a restart; stop is clean (SIGTERM)', async () => {
    const dir = scratch();
    const port = await freePort();
    let synapse = await LocalSynapse.start({ instanceDir: dir, port, log: () => {} });
    const user = await synapse.registerUser({ localpart: 'persistent', password: 'pw-persistent-1' });
    await synapse.stop();
    assert.equal(synapse.child.signalCode ?? synapse.child.exitCode, 0, 'Synapse exits 0 on SIGTERM');
    synapse = await LocalSynapse.start({ instanceDir: dir, port, log: () => {} });
    try {
      const response = await fetch(`${synapse.baseUrl}/_matrix/client/v3/account/whoami`, {
        headers: { authorization: `Bearer ${user.accessToken}` },
      });
      assert.equal(((await response.json()) as { user_id: string }).user_id, user.userId);
    } finally {
      await synapse.stop();
    }
  });
});
