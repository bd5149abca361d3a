// Docker Compose deployment: the file's shape (health checks, restart policies, only the proxy's ports),
// every variable in .env.example, and homeserver.yaml rendered the way the one-shot service renders it,
// from an .env that server:init writes. No Docker engine here: the file is checked, not run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseRegistration } from '@clawchat/common/appservice-registration';
import { parse } from 'yaml';
import {
  GENERATED_SECRETS,
  type InitResult,
  init,
  parseEnvFile,
  REGISTRATION_PATH,
} from '../scripts/init.ts';
import { renderTemplate, templateVariables } from '../scripts/render-config.mjs';
import { composeFile, composeVariables, envExampleNames, interpolate, read, serverDir } from './helpers.ts';

const compose = composeFile();
const services = compose.services;

describe('docker-compose.yml', () => {
  test('has the services of the issue, Synapse pinned and named clawchat-synapse', () => {
    for (const name of ['synapse', 'postgres', 'redis', 'clawdbot', 'caddy', 'synapse-config']) {
      assert.ok(services[name], `service ${name}`);
    }
    assert.match(services.synapse!.image ?? '', /^matrixdotorg\/synapse:v\d+\.\d+\.\d+$/);
    assert.equal(services.synapse!.container_name, 'clawchat-synapse');
    assert.match(services.postgres!.image ?? '', /^postgres:15(-|$)/);
    assert.match(services.redis!.image ?? '', /^redis:7(-|$)/);
    assert.match(services.caddy!.image ?? '', /^caddy:2(-|$)/);
    assert.deepEqual(services.clawdbot!.build, { context: '..', dockerfile: 'gateway/Dockerfile' });
  });

  test('every long-running service has a health check and a restart policy; one-shots run once', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.restart === 'no') {
        // Waited for with service_completed_successfully by the services that need it.
        const waiters = Object.values(services).filter(
          (s) => s.depends_on?.[name]?.condition === 'service_completed_successfully',
        );
        assert.ok(waiters.length > 0, `${name} is a one-shot nobody waits for`);
        continue;
      }
      assert.ok(service.healthcheck?.test?.length, `${name} has no healthcheck`);
      assert.ok(
        ['always', 'unless-stopped', 'on-failure'].includes(service.restart ?? ''),
        `${name} restart`,
      );
    }
  });

  test('only the reverse proxy publishes ports', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name === 'caddy') assert.deepEqual(service.ports, ['80:80', '443:443', '443:443/udp']);
      else assert.equal(service.ports, undefined, `${name} publishes ports`);
    }
  });

  test('volumes are named (declared) or bind mounts of files that exist', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const [source] = volume.split(':');
        if (!source!.startsWith('.')) {
          assert.ok(source! in compose.volumes, `${name}: volume ${source} is not declared`);
          continue;
        }
        const path = source!.replace(/^\.\//, '');
        if (path === 'web') continue; // optional: the app's web build, git-ignored
        assert.ok(existsSync(join(serverDir, path)), `${name}: ${source} does not exist`);
      }
    }
  });

  test('the registration server:init writes is the file mounted for Synapse and the gateway', () => {
    const mounts = services['synapse-config']!.volumes ?? [];
    const [folder, file] = REGISTRATION_PATH.split('/');
    assert.ok(mounts.includes(`./${folder}:/templates/${folder}:ro`));
    const script = services['synapse-config']!.command!.join('\n');
    assert.match(script, new RegExp(`cp /templates/${folder}/${file} /appservices/${file}`));
    // ...published into the appservices volume, which Synapse and the gateway mount at /appservices.
    assert.ok(services.synapse!.volumes?.includes('appservices:/appservices:ro'));
    assert.ok(services.clawdbot!.volumes?.includes('appservices:/appservices:ro'));
    assert.equal(services.clawdbot!.environment?.GATEWAY_REGISTRATION_FILE, '/appservices/clawdbot.yaml');
    const rendered = parse(
      renderTemplate(read('homeserver.yaml'), {
        DOMAIN: 'x',
        POSTGRES_PASSWORD: 'x',
        SYNAPSE_REGISTRATION_SHARED_SECRET: 'x',
        SYNAPSE_MACAROON_SECRET_KEY: 'x',
        SYNAPSE_FORM_SECRET: 'x',
      }),
    );
    assert.deepEqual(rendered.app_service_config_files, ['/appservices/clawdbot.yaml']);
  });

  test('the gateway runs with its health endpoint checked and its settings from .env', () => {
    const env = services.clawdbot!.environment ?? {};
    for (const name of [
      'MATRIX_HOMESERVER_URL',
      'MATRIX_SERVER_NAME',
      'GATEWAY_HOST',
      'GATEWAY_PORT',
      'REDIS_URL',
      'LLM_PROVIDER',
      'ANTHROPIC_API_KEY',
      'ANTHROPIC_BASE_URL',
      'ANTHROPIC_MODEL',
      'OPENAI_API_KEY',
      'OPENAI_BASE_URL',
      'OPENAI_MODEL',
      'LOG_LEVEL',
      'EDIT_BUDGET_PER_SECOND',
    ]) {
      assert.ok(name in env, `clawdbot: ${name}`);
    }
    assert.equal(env.MATRIX_HOMESERVER_URL, 'http://synapse:8008');
    assert.match(services.clawdbot!.healthcheck!.test.join(' '), /\/healthz/);
  });
});

describe('.env.example', () => {
  const names = envExampleNames();

  test('names every variable docker-compose.yml, the Caddyfile and homeserver.yaml use', () => {
    const used = new Set([
      ...composeVariables(read('docker-compose.yml')),
      ...[...read('Caddyfile').matchAll(/\{\$([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!),
      ...templateVariables(read('homeserver.yaml')).keys(),
    ]);
    const missing = [...used].filter((name) => !names.has(name)).sort();
    assert.deepEqual(missing, [], `not in .env.example: ${missing.join(', ')}`);
  });

  test('names nothing unused', () => {
    const used = new Set([
      ...composeVariables(read('docker-compose.yml')),
      ...templateVariables(read('homeserver.yaml')).keys(),
      ...GENERATED_SECRETS,
    ]);
    const unused = [...names].filter((name) => !used.has(name)).sort();
    assert.deepEqual(unused, []);
  });

  test("its values are docker-compose.yml's defaults, and the gateway's per-process limits are Kubernetes'", () => {
    const example = parseEnvFile(read('.env.example'));
    const compose = read('docker-compose.yml');
    for (const [, name, fallback] of compose.matchAll(/\$\{([A-Z_][A-Z0-9_]*):-([^}]+)\}/g)) {
      assert.equal(example.get(name!), fallback, `${name}: .env.example and docker-compose.yml's default`);
    }
    const k8s = parseEnvFile(read('k8s/config.env'));
    for (const name of ['EDIT_BUDGET_PER_SECOND', 'MAX_CONCURRENT_LLM_CALLS']) {
      assert.ok(k8s.has(name), `k8s/config.env sets ${name}`);
      assert.equal(example.get(name), k8s.get(name), `${name}: .env.example and k8s/config.env`);
    }
  });

  test('the one-shot config service passes every template variable to the renderer', () => {
    const env = services['synapse-config']!.environment ?? {};
    const missing = [...templateVariables(read('homeserver.yaml')).keys()].filter((name) => !(name in env));
    assert.deepEqual(missing, []);
  });
});

describe('server:init and the rendered homeserver.yaml', () => {
  let dir: string;
  let result: InitResult;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'clawchat-init-'));
    result = init({ outDir: dir, domain: 'chat.example.org' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('writes .env with every variable of .env.example and fresh secrets, privately', () => {
    const env = parseEnvFile(readFileSync(result.envPath, 'utf8'));
    assert.deepEqual([...env.keys()].sort(), [...envExampleNames()].sort());
    for (const name of GENERATED_SECRETS) assert.match(env.get(name) ?? '', /^[0-9a-f]{64}$/, name);
    assert.equal(new Set(GENERATED_SECRETS.map((n) => env.get(n))).size, GENERATED_SECRETS.length);
    assert.equal(env.get('DOMAIN'), 'chat.example.org');
    assert.equal(statSync(result.envPath).mode & 0o777, 0o600);
  });

  test('writes the registration with the .env tokens, for the gateway service', () => {
    const env = parseEnvFile(readFileSync(result.envPath, 'utf8'));
    const registration = parseRegistration(readFileSync(result.registrationPath, 'utf8'));
    assert.equal(result.registrationPath, join(dir, REGISTRATION_PATH));
    assert.equal(registration.as_token, env.get('AS_TOKEN'));
    assert.equal(registration.hs_token, env.get('HS_TOKEN'));
    assert.equal(registration.url, 'http://clawdbot:9000');
    assert.equal(registration.rate_limited, false);
    assert.deepEqual(registration.namespaces.users, [
      { exclusive: true, regex: '@clawbot:chat\\.example\\.org' },
    ]);
  });

  test('is idempotent: a second run keeps every value; another domain is refused', () => {
    const first = readFileSync(result.envPath, 'utf8');
    init({ outDir: dir });
    assert.equal(readFileSync(result.envPath, 'utf8'), first);
    assert.throws(() => init({ outDir: dir, domain: 'other.example.org' }), /cannot change/);
    assert.throws(() => init({ outDir: join(dir, 'fresh') }), /--domain/);
  });

  test('renders with compose interpolation to a complete homeserver.yaml', () => {
    const dotenv = parseEnvFile(readFileSync(result.envPath, 'utf8'));
    // Every variable compose requires (${VAR:?...}) is in the .env server:init writes.
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(services['synapse-config']!.environment ?? {})) {
      env[name] = interpolate(String(value), dotenv);
    }
    for (const service of Object.values(services)) {
      for (const value of Object.values(service.environment ?? {})) interpolate(String(value), dotenv);
    }
    const text = renderTemplate(read('homeserver.yaml'), env, 'homeserver.yaml');
    assert.doesNotMatch(text, /\$\{/);
    const config = parse(text);
    assert.equal(config.server_name, 'chat.example.org');
    assert.equal(config.public_baseurl, 'https://matrix.chat.example.org/');
    assert.equal(config.database.name, 'psycopg2');
    assert.equal(config.database.args.host, 'postgres');
    assert.equal(config.database.args.password, dotenv.get('POSTGRES_PASSWORD'));
    assert.deepEqual(config.redis, {
      enabled: true,
      host: 'redis',
      port: 6379,
      password: dotenv.get('REDIS_PASSWORD'),
    });
    assert.equal(config.registration_shared_secret, dotenv.get('SYNAPSE_REGISTRATION_SHARED_SECRET'));
    assert.equal(config.url_preview_enabled, false);
    assert.equal(config.enable_metrics, true);
    assert.equal(config.retention.enabled, true);
    assert.equal(config.media_store_path, '/data/media_store');
    assert.deepEqual(
      config.listeners.map((l: { port: number; type: string }) => [l.port, l.type]),
      [
        [8008, 'http'],
        [9000, 'metrics'],
      ],
    );
  });

  test("the synapse-config service's script renders into the volumes as it would in its container", (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('the script chowns files to Synapse uid 991: needs root');
      return;
    }
    const dotenv = parseEnvFile(readFileSync(result.envPath, 'utf8'));
    const service = services['synapse-config']!;
    const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
    for (const [name, value] of Object.entries(service.environment ?? {}))
      env[name] = interpolate(String(value), dotenv);
    // The container's mounts, as folders of this machine.
    const root = join(dir, 'container');
    const mounts: Record<string, string> = {};
    for (const volume of service.volumes ?? []) {
      const [source, target] = volume.split(':') as [string, string];
      mounts[target] = source.startsWith('.') ? join(dir, source) : join(root, source);
      if (!source.startsWith('.')) mkdirSync(mounts[target]!, { recursive: true });
    }
    // The bind mounts are the files of server/ (the registration: server:init's, in `dir`).
    for (const [target, path] of Object.entries(mounts)) {
      if (target.startsWith('/templates/') && !target.endsWith('appservices')) {
        mounts[target] = join(serverDir, path.slice(dir.length + 1));
      }
    }
    const targets = Object.keys(mounts).sort((a, b) => b.length - a.length);
    const pattern = new RegExp(`(${targets.map((t) => t.replace(/[.]/g, '\\.')).join('|')})(?=/|\\s|$)`, 'g');
    const script = service
      .command!.slice(2)
      .join('\n')
      .replace(pattern, (target) => mounts[target]!);
    const run = spawnSync('sh', ['-euc', script], { env, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const data = mounts['/data']!;
    const config = parse(readFileSync(join(data, 'homeserver.yaml'), 'utf8'));
    assert.equal(config.registration_shared_secret, dotenv.get('SYNAPSE_REGISTRATION_SHARED_SECRET'));
    assert.equal(statSync(join(data, 'homeserver.yaml')).uid, 991);
    assert.equal(statSync(join(data, 'homeserver.yaml')).mode & 0o777, 0o600);
    assert.ok(existsSync(join(data, 'log.config')) && existsSync(join(data, 'media_store')));
    assert.equal(
      readFileSync(join(mounts['/appservices']!, 'clawdbot.yaml'), 'utf8'),
      readFileSync(result.registrationPath, 'utf8'),
    );
  });
});
