// The lean fetch under the LLM SDKs: what they use of a Response (status, ok, headers, url, a body read
// through its async iterator, text/json) and aborts. The SDKs' own behaviour over it (streams, errors,
// retries, timeouts) is covered by the provider contract (anthropic.test.ts, openai.test.ts).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createLeanFetch } from '../../src/llm/lean-fetch.ts';

describe('lean fetch', () => {
  let server: Server;
  let base: string;
  const leanFetch = createLeanFetch();

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/hang') return; // never answers
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

  test('an abort ends a request that gets no answer', async () => {
    const controller = new AbortController();
    const pending = leanFetch(`${base}/hang`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await assert.rejects(pending);
  });
});
