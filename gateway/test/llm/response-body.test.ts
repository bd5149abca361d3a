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

/** A sink that records what `drainTo` hands it. */
function recordingSink(onData?: (text: string) => void) {
  const got: string[] = [];
  const sink = {
    data: (piece: Buffer) => {
      got.push(piece.toString());
      onData?.(piece.toString());
    },
    end: () => got.push('end'),
    error: (error: unknown) => got.push(`error: ${(error as Error).message}`),
  };
  return { got, sink };
}

test('drainTo hands over what was queued, then each chunk as it is pushed, then the end', () => {
  const { controller, log } = recordingController();
  const body = new ResponseBody(controller);
  for (let i = 0; i < 70; i++) body.push(chunk(i)); // past the high-water mark: the connection paused
  assert.deepEqual(log, ['pause']);
  const { got, sink } = recordingSink();
  body.drainTo(sink);
  assert.equal(got.length, 70);
  assert.deepEqual(log, ['pause', 'resume'], 'a pushed-to reader never lags: the connection resumes');
  body.push(chunk(70));
  body.end();
  body.push(chunk(71)); // after the end: ignored
  assert.deepEqual(got.slice(69), ['chunk 69;', 'chunk 70;', 'end']);
  assert.ok(body.settled);
});

test('drainTo on a body that already ended or failed delivers what had arrived, then that', () => {
  const ended = new ResponseBody(recordingController().controller);
  ended.push(chunk(0));
  ended.end();
  const a = recordingSink();
  ended.drainTo(a.sink);
  assert.deepEqual(a.got, ['chunk 0;', 'end']);

  const failed = new ResponseBody(recordingController().controller);
  failed.push(chunk(0));
  failed.fail(new Error('connection reset'));
  const b = recordingSink();
  failed.drainTo(b.sink);
  assert.deepEqual(b.got, ['chunk 0;', 'error: connection reset']);
});

test('a sink that throws fails the body with its error and aborts the request', () => {
  const { controller, log } = recordingController();
  const body = new ResponseBody(controller);
  const { got, sink } = recordingSink((text) => {
    if (text === 'chunk 1;') throw new Error('bad event');
  });
  body.drainTo(sink);
  body.push(chunk(0));
  body.push(chunk(1));
  body.push(chunk(2)); // after the failure: ignored
  body.end();
  assert.deepEqual(got, ['chunk 0;', 'chunk 1;', 'error: bad event']);
  assert.deepEqual(log, ['abort']);
});

test('one reader: drainTo refuses a body already being read, or read twice', async () => {
  const body = new ResponseBody(recordingController().controller);
  const reading = body.next();
  assert.throws(() => body.drainTo(recordingSink().sink), /already being read/);
  body.end();
  await reading;
  const other = new ResponseBody(recordingController().controller);
  other.drainTo(recordingSink().sink);
  assert.throws(() => other.drainTo(recordingSink().sink), /already being read/);
});
