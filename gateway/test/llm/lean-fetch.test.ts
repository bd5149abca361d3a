// The lean fetch under the LLM SDKs: what they use of a Response (status, ok, headers, url, a body read
// through its async iterator, text/json) and aborts. The SDKs' own behaviour over it (streams, errors,
// retries, timeouts) is covered by the provider contract (anthropic.test.ts, openai.test.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createSecureContext } from 'node:tls';
import { createLeanFetch } from '../../src/llm/lean-fetch.ts';
import { selfSignedCertificate } from '../support/self-signed.ts';

describe('lean fetch', () => {
  let server: Server;
  let base: string;
  let closedEarly = 0;
  const leanFetch = createLeanFetch();

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/hang') return; // never answers
        if (req.url === '/big') {
          // A long body, written as fast as the socket takes it, for a reader that takes its time.
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          let i = 0;
          const next = () => {
            while (i < 400)
              if (!res.write(`data: ${String(i++).padStart(4, '0')}${'x'.repeat(2000)}\n\n`))
                return res.once('drain', next);
            res.end();
          };
          next();
          return;
        }
        if (req.url === '/endless') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const timer = setInterval(() => res.write('data: more\n\n'), 5);
          res.on('close', () => {
            clearInterval(timer);
            closedEarly++;
          });
          return;
        }
        if (req.url === '/stream') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: one\n\n');
          setTimeout(() => res.end('data: two\n\n'), 20);
          return;
        }
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.writeHead(req.url === '/missing' ? 404 : 200, {
          'content-type': 'application/json',
          'x-echo': String(req.headers['x-key']),
        });
        res.end(JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString('utf8') }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await leanFetch.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('sends method, headers and body; answers status, headers and json', async () => {
    const res = await leanFetch(`${base}/echo`, {
      method: 'post',
      headers: new Headers({ 'x-key': 'k1', 'content-type': 'application/json' }),
      body: '{"a":1}',
    });
    assert.equal(res.status, 200);
    assert.equal(res.ok, true);
    assert.equal(res.url, `${base}/echo`);
    assert.equal(res.headers.get('x-echo'), 'k1');
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(await res.json(), { method: 'POST', body: '{"a":1}' });
  });

  test('an error status is a response (not ok), its text readable', async () => {
    const res = await leanFetch(`${base}/missing`, { headers: { 'x-key': 'k2' } });
    assert.equal(res.status, 404);
    assert.equal(res.ok, false);
    assert.match(await res.text(), /"method":"GET"/);
  });

  test('the body is read as it arrives through its async iterator', async () => {
    const res = await leanFetch(`${base}/stream`);
    const pieces: string[] = [];
    for await (const chunk of res.body as unknown as AsyncIterable<Buffer>)
      pieces.push(chunk.toString('utf8'));
    assert.equal(pieces.join(''), 'data: one\n\ndata: two\n\n');
  });

  test('a slow reader gets every byte of a long body, in order', async () => {
    const res = await leanFetch(`${base}/big`);
    const pieces: Buffer[] = [];
    for await (const chunk of res.body as unknown as AsyncIterable<Buffer>) {
      pieces.push(chunk);
      if (pieces.length % 20 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    const events = Buffer.concat(pieces).toString('utf8').split('\n\n').filter(Boolean);
    assert.equal(events.length, 400);
    assert.deepEqual(
      events.map((e) => Number(e.slice(6, 10))),
      Array.from({ length: 400 }, (_, i) => i),
    );
  });

  test('a reader that stops early closes the stream on the server', async () => {
    const res = await leanFetch(`${base}/endless`);
    for await (const _ of res.body as unknown as AsyncIterable<Buffer>) break;
    for (let i = 0; i < 400 && closedEarly === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(closedEarly, 1);
  });

  test('an abort mid-body fails the reader with an AbortError', async () => {
    const controller = new AbortController();
    const res = await leanFetch(`${base}/endless`, { signal: controller.signal });
    await assert.rejects(
      (async () => {
        for await (const _ of res.body as unknown as AsyncIterable<Buffer>) controller.abort();
      })(),
      { name: 'AbortError' },
    );
  });

  test('an abort ends a request that gets no answer', async () => {
    const controller = new AbortController();
    const pending = leanFetch(`${base}/hang`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await assert.rejects(pending);
  });
});

describe('lean fetch over HTTPS (one TLS context for all its connections)', () => {
  let server: HttpsServer;
  let base: string;
  let cert: Buffer;
  const connections = new Set<unknown>();

  before(async () => {
    const files = selfSignedCertificate();
    cert = readFileSync(files.certFile);
    server = createHttpsServer({ cert, key: readFileSync(files.keyFile) }, (req, res) => {
      // Held a moment, so that concurrent requests need connections of their own.
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(`ok ${req.url}`), 30);
    });
    server.on('secureConnection', (socket) => connections.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('concurrent requests on several connections all verify the server with the shared context', async () => {
    const leanFetch = createLeanFetch({ secureContext: createSecureContext({ ca: cert }) });
    try {
      const texts = await Promise.all(
        [1, 2, 3, 4].map(async (i) => (await leanFetch(`${base}/r${i}`)).text()),
      );
      assert.deepEqual(texts, ['ok /r1', 'ok /r2', 'ok /r3', 'ok /r4']);
      assert.ok(connections.size >= 2, `${connections.size} TLS connections`);
    } finally {
      await leanFetch.close();
    }
  });

  test("a new connection resumes an earlier connection's TLS session (one connector for all)", async () => {
    const leanFetch = createLeanFetch({ secureContext: createSecureContext({ ca: cert }) });
    const resumed: boolean[] = [];
    const note = (socket: { isSessionReused(): boolean }) => resumed.push(socket.isSessionReused());
    server.on('secureConnection', note);
    try {
      // The first connection's session, then two at once: one reuses that connection, one is new.
      assert.equal(await (await leanFetch(`${base}/first`)).text(), 'ok /first');
      const texts = await Promise.all(['a', 'b'].map(async (r) => (await leanFetch(`${base}/${r}`)).text()));
      assert.deepEqual(texts, ['ok /a', 'ok /b']);
      assert.equal(leanFetch.connections, 2);
      assert.deepEqual(resumed, [false, true]);
    } finally {
      server.off('secureConnection', note);
      await leanFetch.close();
    }
  });

  test("by default the server's certificate is checked against Node's trust store: self-signed is refused", async () => {
    const leanFetch = createLeanFetch();
    try {
      await assert.rejects(
        leanFetch(`${base}/r`),
        (error: Error & { code?: string; cause?: { code?: string } }) => {
          const code = error.code ?? error.cause?.code ?? '';
          assert.match(`${code} ${error.message}`, /SELF_SIGNED|self[- ]signed/i);
          return true;
        },
      );
    } finally {
      await leanFetch.close();
    }
  });
});

describe('lean fetch connections (one per request in progress, kept alive, closed when idle)', () => {
  let server: Server;
  let base: string;
  let sockets = 0;
  let closedSockets = 0;

  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hang') return;
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(`ok ${req.url}`), 20);
    });
    server.on('connection', (socket) => {
      sockets++;
      socket.on('close', () => closedSockets++);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('requests one after another reuse one connection; concurrent ones get one each, reused after', async () => {
    const leanFetch = createLeanFetch();
    try {
      const before = sockets;
      for (let i = 0; i < 3; i++) assert.equal(await (await leanFetch(`${base}/s${i}`)).text(), `ok /s${i}`);
      assert.equal(sockets - before, 1);
      const texts = await Promise.all(
        [1, 2, 3, 4].map(async (i) => (await leanFetch(`${base}/c${i}`)).text()),
      );
      assert.deepEqual(texts, ['ok /c1', 'ok /c2', 'ok /c3', 'ok /c4']);
      assert.equal(sockets - before, 4, 'the idle one was reused, three were opened');
      assert.equal(leanFetch.connections, 4);
      await Promise.all([1, 2, 3, 4].map(async (i) => (await leanFetch(`${base}/again${i}`)).text()));
      assert.equal(sockets - before, 4, 'all four reused');
    } finally {
      await leanFetch.close();
    }
  });

  test('connections idle past the keep-alive timeout are closed and forgotten', async () => {
    const leanFetch = createLeanFetch({ keepAliveTimeoutMs: 150 });
    try {
      const open = () => sockets - closedSockets;
      for (let i = 0; i < 200 && open() > 0; i++) await new Promise((r) => setTimeout(r, 10)); // the last test's
      await Promise.all([1, 2].map(async (i) => (await leanFetch(`${base}/k${i}`)).text()));
      assert.equal(leanFetch.connections, 2);
      assert.equal(open(), 2);
      for (let i = 0; i < 200 && (leanFetch.connections > 0 || open() > 0); i++)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(leanFetch.connections, 0);
      assert.equal(open(), 0, 'their sockets were closed');
      assert.equal(await (await leanFetch(`${base}/later`)).text(), 'ok /later', 'and new ones are opened');
    } finally {
      await leanFetch.close();
    }
  });

  test('a connection whose request was aborted serves the next request', async () => {
    const leanFetch = createLeanFetch();
    try {
      const controller = new AbortController();
      const pending = leanFetch(`${base}/hang`, { signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      await assert.rejects(pending, { name: 'AbortError' });
      assert.equal(await (await leanFetch(`${base}/next`)).text(), 'ok /next');
      assert.equal(leanFetch.connections, 1);
    } finally {
      await leanFetch.close();
    }
  });
});
