// The homeserver client on a loopback server: JSON in and out (a body split across writes, a UTF-8
// character across the split, an empty body), Matrix errors with their errcode and retry-after, bounded
// retries, and a request timeout.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { MatrixApiError, MatrixHttpClient } from '../../src/matrix/http-client.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
const routes = new Map<string, Handler>();
const seen: Array<{ method: string; url: string; auth: string | undefined; body: string }> = [];
const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (piece: string) => {
    body += piece;
  });
  req.on('end', () => {
    seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
    const path = req.url!.split('?')[0]!;
    const handler = routes.get(path);
    if (handler) handler(req, res, body);
    else
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"errcode":"M_UNRECOGNIZED","error":"no"}');
  });
});
let client: MatrixHttpClient;

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new MatrixHttpClient({
    baseUrl: `http://127.0.0.1:${port}/base/`,
    accessToken: 'as-token',
    connections: 2,
  });
});
after(async () => {
  await client.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('JSON in and out: the path under the base URL, the query, the token, a body split mid-character', async () => {
  routes.set('/base/echo', (_req, res, body) => {
    const reply = Buffer.from(JSON.stringify({ got: JSON.parse(body), word: 'h\u00e9llo' }));
    const cut = reply.indexOf(0xc3) + 1; // inside the two bytes of é
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(reply.subarray(0, cut));
    setTimeout(() => res.end(reply.subarray(cut)), 20);
  });
  const result = await client.request<{ got: unknown; word: string }>('PUT', '/echo', {
    query: { a: 1, b: undefined, c: 'x y' },
    body: { text: 'hi' },
  });
  assert.deepEqual(result, { got: { text: 'hi' }, word: 'h\u00e9llo' });
  const request = seen.at(-1)!;
  assert.equal(request.url, '/base/echo?a=1&c=x+y');
  assert.equal(request.auth, 'Bearer as-token');
});

test('an empty or non-JSON success body is {}', async () => {
  routes.set('/base/empty', (_req, res) => res.writeHead(200).end());
  routes.set('/base/html', (_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<p>hi</p>'),
  );
  assert.deepEqual(await client.request('GET', '/empty'), {});
  assert.deepEqual(await client.request('GET', '/html'), {});
});

test('a Matrix error carries its status, errcode and message; 4xx is not retried', async () => {
  const before = seen.length;
  const error = await client.request('GET', '/missing', { attempts: 3 }).then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof MatrixApiError);
  assert.equal(error.status, 404);
  assert.equal(error.errcode, 'M_UNRECOGNIZED');
  assert.match(error.message, /GET \/missing failed with 404: no/);
  assert.equal(seen.length - before, 1);
});

test('429 with retry_after_ms is retried after the wait, then succeeds', async () => {
  let calls = 0;
  routes.set('/base/limited', (_req, res) => {
    calls++;
    if (calls === 1) {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end('{"errcode":"M_LIMIT_EXCEEDED","error":"slow down","retry_after_ms":80}');
    } else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  const started = performance.now();
  assert.deepEqual(await client.request('GET', '/limited', { attempts: 2 }), { ok: true });
  assert.equal(calls, 2);
  assert.ok(performance.now() - started >= 75, 'waited for retry_after_ms');

  calls = 0;
  const error = (await client
    .request('GET', '/limited', { attempts: 1 })
    .catch((e: unknown) => e)) as MatrixApiError;
  assert.equal(error.status, 429);
  assert.equal(error.retryAfterMs, 80);
});

test('a request that gets no answer within timeoutMs fails, and the next one goes through', async () => {
  routes.set('/base/hang', () => {
    // never answers
  });
  routes.set('/base/ok', (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":1}'),
  );
  await assert.rejects(client.request('GET', '/hang', { timeoutMs: 100 }), /timeout/i);
  assert.deepEqual(await client.request('GET', '/ok'), { ok: 1 });
});
