// The Caddyfile, run by a real Caddy (Debian's `caddy` package; .ci/run installs it). Caddy's own
// Caddyfile adapter turns server/Caddyfile into its JSON configuration; the test then changes only
// where it listens (plain HTTP on a free 127.0.0.1 port instead of TLS on 443), the web root (a scratch
// folder holding an index.html, as server/web does once the app is deployed) and Synapse's address (a
// local HTTP server standing in for synapse:8008), runs it, and sends requests with each site's Host.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@clawchat/local-synapse';
import { serverDir } from './helpers.ts';

const DOMAIN = 'chat.example.org';
const CADDYFILE = join(serverDir, 'Caddyfile');
const INDEX_HTML = '<!doctype html><html><body><div id="root">ClawChat web</div></body></html>\n';

function caddy(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync('caddy', args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      'caddy is not installed: the Caddyfile is checked by running it. Install it with ' +
        "`apt-get install caddy` (Debian's package; .ci/run installs it).",
    );
  }
  if (result.error) throw result.error;
  return result;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET through Caddy on 127.0.0.1 with the Host of one of its sites. */
function get(port: number, host: string, path: string): Promise<Reply> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Caddyfile (run by Caddy)', () => {
  let dir: string;
  let caddyPort: number;
  let caddyProcess: ChildProcess | undefined;
  let caddyLog = '';
  let synapse: Server;
  const synapseHits: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clawchat-caddy-'));
    const web = join(dir, 'web');
    mkdirSync(join(web, 'assets'), { recursive: true });
    writeFileSync(join(web, 'index.html'), INDEX_HTML);
    writeFileSync(join(web, 'assets', 'app.js'), 'console.log("app");\n');

    // Synapse's stand-in: answers every request with the path it got.
    synapse = createServer((req, res) => {
      synapseHits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ proxied: req.url }));
    });
    await new Promise<void>((resolvePromise) => synapse.listen(0, '127.0.0.1', resolvePromise));
    const synapseAddress = synapse.address();
    const synapsePort = typeof synapseAddress === 'object' && synapseAddress ? synapseAddress.port : 0;

    // The production Caddyfile, imported unchanged under global options that keep Caddy off the
    // network, the ACME CA and this machine's Caddy state.
    const wrapper = join(dir, 'Caddyfile');
    writeFileSync(
      wrapper,
      `{\n\tadmin off\n\tauto_https off\n\tstorage file_system ${join(dir, 'storage')}\n}\nimport ${CADDYFILE}\n`,
    );
    const adapted = caddy(['adapt', '--config', wrapper, '--adapter', 'caddyfile'], { DOMAIN });
    assert.equal(adapted.status, 0, `caddy adapt failed:\n${adapted.stderr}`);
    // biome-ignore lint/suspicious/noExplicitAny: Caddy's JSON configuration, changed in three places
    const config: any = JSON.parse(adapted.stdout);
    const servers = Object.values(config.apps.http.servers) as Array<Record<string, unknown>>;
    assert.equal(servers.length, 1, 'both sites are served by one server (port 443)');
    caddyPort = await freePort();
    servers[0]!.listen = [`127.0.0.1:${caddyPort}`];
    delete servers[0]!.tls_connection_policies;
    let json = JSON.stringify(config);
    assert.ok(json.includes('"/srv/web"'), 'the web root is /srv/web, where compose mounts server/web');
    assert.ok(json.includes('"synapse:8008"'), 'Synapse is proxied at synapse:8008');
    json = json
      .replaceAll('"/srv/web"', JSON.stringify(web))
      .replaceAll('"synapse:8008"', JSON.stringify(`127.0.0.1:${synapsePort}`));
    const runConfig = join(dir, 'caddy.json');
    writeFileSync(runConfig, json);

    const home = join(dir, 'home');
    caddyProcess = spawn('caddy', ['run', '--config', runConfig], {
      env: { ...process.env, HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolvePromise) => caddyProcess!.once('exit', () => resolvePromise()));
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    caddyProcess.stdout!.on('data', (chunk) => {
      caddyLog += chunk;
    });
    caddyProcess.stderr!.on('data', (chunk) => {
      caddyLog += chunk;
    });
    // Ready when it answers (or failed when it exits).
    for (;;) {
      if (gone) throw new Error(`caddy exited before serving:\n${caddyLog}`);
      try {
        await get(caddyPort, DOMAIN, '/');
        break;
      } catch {
        await sleep(50);
      }
    }
  });

  after(async () => {
    if (caddyProcess && caddyProcess.exitCode === null) {
      const exited = new Promise((resolvePromise) => caddyProcess!.once('exit', resolvePromise));
      caddyProcess.kill('SIGTERM');
      await exited;
    }
    await new Promise((resolvePromise) => synapse?.close(resolvePromise));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('is formatted the way `caddy fmt` formats it', () => {
    const formatted = caddy(['fmt', CADDYFILE]);
    assert.equal(formatted.status, 0, formatted.stderr);
    assert.equal(
      formatted.stdout,
      readFileSync(CADDYFILE, 'utf8'),
      'run `caddy fmt --overwrite server/Caddyfile`',
    );
  });

  test('/.well-known/matrix/client is JSON with CORS, not the web app, once the web app is deployed', async () => {
    const reply = await get(caddyPort, DOMAIN, '/.well-known/matrix/client');
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /^application\/json/);
    assert.equal(reply.headers['access-control-allow-origin'], '*');
    assert.deepEqual(JSON.parse(reply.body), { 'm.homeserver': { base_url: `https://matrix.${DOMAIN}` } });
  });

  test('/.well-known/matrix/server delegates federation to matrix.DOMAIN:443, as JSON', async () => {
    const reply = await get(caddyPort, DOMAIN, '/.well-known/matrix/server');
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(reply.body), { 'm.server': `matrix.${DOMAIN}:443` });
  });

  test('any other /.well-known/matrix/ path is a JSON 404, not the web app', async () => {
    const reply = await get(caddyPort, DOMAIN, '/.well-known/matrix/support');
    assert.equal(reply.status, 404);
    assert.match(String(reply.headers['content-type']), /^application\/json/);
    assert.equal(JSON.parse(reply.body).errcode, 'M_NOT_FOUND');
  });

  test('DOMAIN serves the web app: its files, and index.html for every other path (a single-page app)', async () => {
    const root = await get(caddyPort, DOMAIN, '/');
    assert.equal(root.status, 200);
    assert.equal(root.body, INDEX_HTML);
    const asset = await get(caddyPort, DOMAIN, '/assets/app.js');
    assert.equal(asset.status, 200);
    assert.equal(asset.body, 'console.log("app");\n');
    const route = await get(caddyPort, DOMAIN, '/chat/!room:chat.example.org');
    assert.equal(route.status, 200);
    assert.match(String(route.headers['content-type']), /^text\/html/);
    assert.equal(route.body, INDEX_HTML);
  });

  test('matrix.DOMAIN proxies the Client-Server API, Synapse client pages and /health to Synapse', async () => {
    for (const path of ['/_matrix/client/versions', '/_synapse/client/password_reset', '/health']) {
      const reply = await get(caddyPort, `matrix.${DOMAIN}`, path);
      assert.equal(reply.status, 200, path);
      assert.deepEqual(JSON.parse(reply.body), { proxied: path });
    }
  });

  test("matrix.DOMAIN keeps Synapse's admin API and everything else off the internet", async () => {
    const before = synapseHits.length;
    for (const path of ['/_synapse/admin/v1/users', '/_synapse/metrics', '/']) {
      const reply = await get(caddyPort, `matrix.${DOMAIN}`, path);
      assert.equal(reply.status, 404, path);
    }
    assert.equal(synapseHits.length, before, 'Synapse got a request it should not have');
  });
});
