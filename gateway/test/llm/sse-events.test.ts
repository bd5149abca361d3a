// Decoding an SDK-checked streaming response's server-sent events: across chunk boundaries (a UTF-8
// character split between two reads included), on the lean fetch's pushed body and on any other body
// (the global fetch's web stream), and a handler's throw ending the read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dispatcher } from 'undici';
import { ResponseBody } from '../../src/llm/response-body.ts';
import { readSseEvents } from '../../src/llm/sse-events.ts';

const WIRE = Buffer.from(
  'event: ping\ndata: {}\n\nevent: content_block_delta\ndata: {"text":"h\u00e9llo \u{1F44B}"}\n\n: a comment\n\nevent: message_stop\ndata: {}\n\n',
);
/** The wire cut into pieces of `size` bytes, so that events and characters straddle reads. */
const pieces = (size: number) => {
  const out: Buffer[] = [];
  for (let at = 0; at < WIRE.length; at += size) out.push(WIRE.subarray(at, at + size));
  return out;
};
const expected = [
  { event: 'ping', data: '{}' },
  { event: 'content_block_delta', data: '{"text":"h\u00e9llo \u{1F44B}"}' },
  { event: 'message_stop', data: '{}' },
];

function controller(): Dispatcher.DispatchController & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    aborted: false,
    paused: false,
    reason: null,
    abort: () => log.push('abort'),
    pause: () => log.push('pause'),
    resume: () => log.push('resume'),
  };
}

const asResponse = (body: unknown) => ({ body }) as unknown as Response;

for (const size of [1, 3, 7, WIRE.length]) {
  test(`events in ${size}-byte reads: the lean fetch's pushed body and a web stream give the same`, async () => {
    const body = new ResponseBody(controller());
    const pushed: Array<{ event?: string; data: string }> = [];
    const reading = readSseEvents(asResponse(body), (e) => pushed.push({ event: e.event, data: e.data }));
    for (const piece of pieces(size)) body.push(piece);
    body.end();
    await reading;
    assert.deepEqual(pushed, expected);

    const streamed: Array<{ event?: string; data: string }> = [];
    const web = new Response(
      new ReadableStream({
        start(c) {
          for (const piece of pieces(size)) c.enqueue(new Uint8Array(piece));
          c.close();
        },
      }),
    );
    await readSseEvents(web, (e) => streamed.push({ event: e.event, data: e.data }));
    assert.deepEqual(streamed, expected);
  });
}

test("a handler's throw rejects the read with that error and aborts the request", async () => {
  const c = controller();
  const body = new ResponseBody(c);
  const reading = readSseEvents(asResponse(body), (e) => {
    if (e.event === 'content_block_delta') throw new Error('the sink refused');
  });
  body.push(WIRE);
  await assert.rejects(reading, /the sink refused/);
  assert.deepEqual(c.log, ['abort']);
});

test('a body that fails rejects the read with its error, after the events that had arrived', async () => {
  const body = new ResponseBody(controller());
  const seen: string[] = [];
  const reading = readSseEvents(asResponse(body), (e) => seen.push(e.event ?? ''));
  body.push(WIRE.subarray(0, 40));
  body.fail(new Error('socket hang up'));
  await assert.rejects(reading, /socket hang up/);
  assert.deepEqual(seen, ['ping']);
});
