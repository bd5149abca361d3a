// The production configuration against a real Synapse (Debian's, the version the images pin) and a real
// PostgreSQL: homeserver.yaml rendered from the values server:init writes, with PostgreSQL on 127.0.0.1
// and the paths pointed into a local instance folder, starts and serves the Client-Server API; the
// registration the gateway writes loads; the signing key server:init makes is accepted; and Synapse's
// own config loader accepts the Kubernetes worker configurations, each with the shared files.
//
// What cannot run here: Redis replication (Debian ships no txredisapi, so SYNAPSE_REDIS_ENABLED=false
// for these checks), the images and the cluster themselves.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseRegistration } from '@clawchat/common/appservice-registration';
import {
  dropDatabase,
  ensureDatabase,
  ensureProvisioned,
  ensureTestPostgres,
  freePort,
  LocalSynapse,
  parseDatabaseUrl,
  ROOT_INSTANCE_DIR,
  runInRoot,
  testPostgresUrl,
} from '@clawchat/local-synapse';
import { parse } from 'yaml';
import { generateSigningKey, init, parseEnvFile } from '../scripts/init.ts';
import { renderTemplate } from '../scripts/render-config.mjs';
import { composeFile, k8sDir, read, repoRoot } from './helpers.ts';

const DOMAIN = 'chat.example.org';

/** DATABASE_URL's server when set, else the tests' (CLAWCHAT_TEST_POSTGRES, by default this machine's). */
function postgresUrl(database: string): string {
  if (!process.env.DATABASE_URL) return testPostgresUrl(database);
  const base = new URL(process.env.DATABASE_URL);
  base.pathname = `/${database}`;
  return base.toString();
}

describe('the production homeserver.yaml on a real Synapse and PostgreSQL', { timeout: 300_000 }, () => {
  let work: string;
  let instanceDir: string;
  let synapse: LocalSynapse | undefined;
  let env: Record<string, string>;
  let dotenv: Map<string, string>;
  let registrationText: string;
  let metricsPort: number;
  const database = `clawchat_server_test_${process.pid}`;
  const target = parseDatabaseUrl(postgresUrl(database));

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'clawchat-prod-'));
    instanceDir = join(work, 'instance');
    mkdirSync(join(instanceDir, 'appservices'), { recursive: true });
    const initResult = init({ outDir: join(work, 'server'), domain: DOMAIN });
    dotenv = parseEnvFile(readFileSync(initResult.envPath, 'utf8'));

    // The registration as the gateway's own `register` command writes it (when the gateway has it),
    // at the path Compose and Kubernetes mount: <appservices>/clawdbot.yaml.
    const registrationPath = join(instanceDir, 'appservices', 'clawdbot.yaml');
    const gatewayCli = join(repoRoot, 'gateway', 'src', 'cli', 'index.ts');
    if (existsSync(gatewayCli)) {
      const run = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          gatewayCli,
          'register',
          '--url',
          'http://clawdbot:9000',
          '--server-name',
          DOMAIN,
          '--out',
          registrationPath,
        ],
        { cwd: repoRoot, encoding: 'utf8' },
      );
      assert.equal(run.status, 0, `gateway register failed: ${run.stderr}`);
    } else {
      copyFileSync(initResult.registrationPath, registrationPath);
    }
    registrationText = readFileSync(registrationPath, 'utf8');

    const port = await freePort();
    metricsPort = await freePort();
    if (!process.env.DATABASE_URL) await ensureTestPostgres();
    await ensureDatabase(target);
    env = {
      ...Object.fromEntries(dotenv),
      SYNAPSE_PUBLIC_BASEURL: `http://127.0.0.1:${port}/`,
      SYNAPSE_PORT: String(port),
      SYNAPSE_METRICS_PORT: String(metricsPort),
      SYNAPSE_BIND_ADDRESS: '127.0.0.1',
      SYNAPSE_REDIS_ENABLED: 'false',
      SYNAPSE_DATA_DIR: ROOT_INSTANCE_DIR,
      SYNAPSE_CONFIG_DIR: ROOT_INSTANCE_DIR,
      SYNAPSE_APPSERVICE_DIR: `${ROOT_INSTANCE_DIR}/appservices`,
      POSTGRES_HOST: target.host,
      POSTGRES_PORT: String(target.port),
      POSTGRES_USER: target.user,
      POSTGRES_PASSWORD: target.password || 'trust-auth-ignores-it',
      POSTGRES_DB: target.database,
    };
    const text = renderTemplate(read('homeserver.yaml'), env, 'server/homeserver.yaml');
    // The signing key server:init makes for Kubernetes (Compose lets Synapse make its own).
    writeFileSync(join(instanceDir, 'signing.key'), generateSigningKey());
    synapse = await LocalSynapse.start({
      instanceDir,
      port,
      serverName: DOMAIN,
      prerendered: {
        text,
        registrationSharedSecret: dotenv.get('SYNAPSE_REGISTRATION_SHARED_SECRET')!,
        logConfig: read('synapse/log.config'),
      },
      log: () => {},
    });
  });

  after(async () => {
    await synapse?.stop();
    await dropDatabase(target).catch(() => {});
    rmSync(work, { recursive: true, force: true });
  });

  test('the images pin the Synapse version tested here', () => {
    const tag = `v${synapse!.version}`;
    assert.equal(composeFile().services.synapse!.image, `matrixdotorg/synapse:${tag}`);
    assert.match(
      readFileSync(join(k8sDir, 'synapse.yaml'), 'utf8'),
      new RegExp(`image: matrixdotorg/synapse:${tag.replaceAll('.', '\\.')}\\n`),
    );
  });

  test('answers /_matrix/client/versions', async () => {
    const response = await fetch(`${synapse!.baseUrl}/_matrix/client/versions`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { versions: string[] };
    assert.ok(body.versions.includes('v1.11') || body.versions.length > 5, JSON.stringify(body));
  });

  test('loads the gateway registration: its as_token is the bot', async () => {
    const registration = parseRegistration(registrationText);
    const response = await fetch(`${synapse!.baseUrl}/_matrix/client/v3/account/whoami`, {
      headers: { authorization: `Bearer ${registration.as_token}` },
    });
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(
      ((await response.json()) as { user_id: string }).user_id,
      `@${registration.sender_localpart}:${DOMAIN}`,
    );
  });

  test('registration_shared_secret from .env creates users (register_new_matrix_user)', async () => {
    const admin = await synapse!.registerUser({
      localpart: 'admin',
      password: 'a-long-password-1',
      admin: true,
    });
    assert.equal(admin.userId, `@admin:${DOMAIN}`);
  });

  test('serves Prometheus metrics on the internal metrics port', async () => {
    const response = await fetch(`http://127.0.0.1:${metricsPort}/_synapse/metrics`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /synapse_/);
  });

  test("Synapse's config loader accepts the Kubernetes main process and every worker", async () => {
    const { root } = await ensureProvisioned({ log: () => {} });
    const rendered = join(instanceDir, 'k8s');
    mkdirSync(join(instanceDir, 'media'), { recursive: true });
    const processEnv = (podName: string) => ({
      ...env,
      POD_NAME: podName,
      SYNAPSE_LOG_CONFIG: `${ROOT_INSTANCE_DIR}/log.config`,
      SYNAPSE_MEDIA_STORE_PATH: `${ROOT_INSTANCE_DIR}/media`,
    });
    const processes = [
      { pod: 'synapse-main-0', file: 'main.yaml' },
      { pod: 'synapse-sync-7d9f8-abcde', file: 'worker-generic.yaml' },
      { pod: 'synapse-client-7d9f8-fghij', file: 'worker-generic.yaml' },
      { pod: 'synapse-event-persister-0', file: 'worker-event-persister.yaml' },
      { pod: 'synapse-media-0', file: 'worker-media.yaml' },
    ];
    mkdirSync(rendered, { recursive: true });
    const argv: string[][] = [];
    for (const { pod, file } of processes) {
      const dir = join(rendered, pod);
      mkdirSync(dir, { recursive: true });
      for (const [name, source] of [
        ['homeserver.yaml', 'homeserver.yaml'],
        ['shared.yaml', 'shared.yaml'],
        ['process.yaml', file],
      ] as const) {
        const template = readFileSync(join(k8sDir, 'synapse', source), 'utf8');
        writeFileSync(join(dir, name), renderTemplate(template, processEnv(pod), source));
      }
      const inRoot = `${ROOT_INSTANCE_DIR}/k8s/${pod}`;
      argv.push([
        '-c',
        `${inRoot}/homeserver.yaml`,
        '-c',
        `${inRoot}/shared.yaml`,
        '-c',
        `${inRoot}/process.yaml`,
      ]);
    }
    const script = `
import json, sys
from synapse.config.homeserver import HomeServerConfig
out = []
for args in json.loads(sys.argv[1]):
    c = HomeServerConfig.load_config("clawchat-check", args)
    out.append({
        "app": c.worker.worker_app,
        "instance": c.worker.instance_name,
        "events": list(c.worker.writers.events),
        "instance_map": sorted(c.worker.instance_map.keys()),
        "listeners": sorted(l.port for l in (c.worker.worker_listeners if c.worker.worker_app else c.server.listeners)),
        "media_repo": c.media.can_load_media_repo,
        "media_jobs": getattr(c.media, "media_instance_running_background_jobs", None),
        "replication_secret": bool(c.worker.worker_replication_secret),
        "appservices": c.appservice.app_service_config_files,
    })
print("RESULT " + json.dumps(out))
`;
    const run = await runInRoot({
      root,
      binds: [{ host: instanceDir, target: ROOT_INSTANCE_DIR }],
      argv: ['python3', '-c', script, JSON.stringify(argv)],
    });
    const line = run.output.split('\n').find((l) => l.startsWith('RESULT '));
    assert.ok(run.code === 0 && line, `Synapse's config loader refused a configuration:\n${run.output}`);
    if (process.env.DEBUG_CHECK) console.log(line);
    const [main, sync, client, persister, media] = JSON.parse(line.slice(7)) as {
      app: string | null;
      instance: string;
      events: string[];
      instance_map: string[];
      listeners: number[];
      media_repo: boolean;
      media_jobs: string | null;
      replication_secret: boolean;
      appservices: string[];
    }[];
    assert.equal(main!.app, null);
    assert.equal(main!.instance, 'master');
    assert.deepEqual(main!.listeners, [8008, 9000, 9093]);
    assert.equal(main!.media_repo, false);
    assert.equal(sync!.app, 'synapse.app.generic_worker');
    assert.equal(sync!.instance, 'synapse-sync-7d9f8-abcde');
    assert.equal(client!.instance, 'synapse-client-7d9f8-fghij');
    assert.equal(persister!.instance, 'synapse-event-persister-0');
    assert.deepEqual(persister!.listeners, [9000, 9093]);
    assert.equal(media!.app, 'synapse.app.media_repository');
    assert.equal(media!.media_repo, true);
    // The media worker runs the media background jobs (only media instances read the option).
    assert.equal(media!.media_jobs, media!.instance);
    for (const process of [main, sync, client, persister, media]) {
      assert.deepEqual(process!.events, ['synapse-event-persister-0']);
      // Workers know the main process by its internal name, "master".
      assert.ok(process!.instance_map.some((name) => name === 'main' || name === 'master'));
      assert.ok(process!.instance_map.includes('synapse-event-persister-0'));
      assert.equal(process!.replication_secret, true, `${process!.instance}: worker_replication_secret`);
      assert.deepEqual(process!.appservices, [`${ROOT_INSTANCE_DIR}/appservices/clawdbot.yaml`]);
    }
  });
});

test('the Kubernetes template copies match server/ (npm run k8s:sync -w server)', async () => {
  const { staleCopies } = await import('../scripts/sync-k8s.mjs');
  assert.deepEqual(staleCopies(), []);
  assert.equal(parse(read('k8s/synapse/homeserver.yaml')).server_name, '$' + '{DOMAIN}');
});
