// The body queue between undici's dispatcher and the SDKs' reader: order, end, failure, the pause of
// the connection while the reader lags, and an early stop that aborts the request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dispatcher } from 'undici';
import { ResponseBody } from '../../src/llm/response-body.ts';

/** What the dispatcher's controller records: pauses, resumes and aborts. */
function recordingController() {
  const log: string[] = [];
  let paused = false;
  const controller: Dispatcher.DispatchController = {
    get aborted() {
      return log.includes('abort');
    },
    get paused() {
      return paused;
    },
    get reason() {
      return null;
    },
    abort: () => log.push('abort'),
    pause: () => {
      paused = true;
      log.push('pause');
    },
    resume: () => {
      paused = false;
      log.push('resume');
    },
  };
  return { controller, log };
}

const chunk = (i: number) => Buffer.from(`chunk ${i};`);

test('chunks pushed before and while reading come out in order, then the end', async () => {
  const { controller } = recordingController();
  const body = new ResponseBody(controller);
  body.push(chunk(0));
  body.push(chunk(1));
  const read: string[] = [];
  const reading = (async () => {
    for await (const piece of body) read.push(piece.toString());
  })();
  await new Promise((r) => setImmediate(r));
  body.push(chunk(2));
  body.end();
  body.push(chunk(3)); // after the end: ignored
  await reading;
  assert.deepEqual(read, ['chunk 0;', 'chunk 1;', 'chunk 2;']);
});

test('a failure reaches the reader after what had arrived', async () => {
  const { controller } = recordingController();
  const body = new ResponseBody(controller);
  body.push(chunk(0));
  body.fail(new Error('connection reset'));
  const read: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const piece of body) read.push(piece.toString());
    })(),
    /connection reset/,
  );
  assert.deepEqual(read, ['chunk 0;']);
});

test('a lagging reader pauses the connection; catching up resumes it', async () => {
  const { controller, log } = recordingController();
  const body = new ResponseBody(controller);
  for (let i = 0; i < 100; i++) body.push(chunk(i));
  assert.equal(log.filter((e) => e === 'pause').length, 1, 'paused once, at the high-water mark');
  const read: string[] = [];
  body.end();
  for await (const piece of body) read.push(piece.toString());
  assert.equal(read.length, 100);
  assert.equal(read[99], 'chunk 99;');
  assert.deepEqual(log, ['pause', 'resume']);
});

test('a reader that stops early aborts the request', async () => {
  const { controller, log } = recordingController();
  const body = new ResponseBody(controller);
  body.push(chunk(0));
  body.push(chunk(1));
  for await (const _ of body) break;
  assert.deepEqual(log, ['abort']);
  await assert.rejects(body.next(), { name: 'AbortError' }, 'nothing more is read once it was cancelled');
});
