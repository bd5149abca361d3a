// The two forms of a stream's text: pushText drives a pulled stream or a pushed one, pullText turns a
// pushed one into an async iterable whose early exit stops it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DemoProvider } from '../../src/llm/demo.ts';
import { abortedError } from '../../src/llm/errors.ts';
import { pullText, pushText } from '../../src/llm/text-push.ts';
import { type CompletionRequest, LlmError, type LlmProvider, type TextSink } from '../../src/llm/types.ts';
import { collect, failure } from './helpers.ts';

const request = (signal?: AbortSignal): CompletionRequest => ({
  model: 'demo',
  messages: [{ role: 'user', content: 'Tell me about Matrix' }],
  maxTokens: 100,
  ...(signal ? { signal } : {}),
});

test('pushText: a pulled stream is handed on delta by delta, in order', async () => {
  const provider = new DemoProvider({ delayMs: 0 });
  const pulled = await collect(provider.stream(request()));
  const pushed: string[] = [];
  await pushText(provider, request(), (delta) => pushed.push(delta));
  assert.equal(pushed.join(''), pulled.text);
  assert.equal(pushed.length, pulled.deltas);
});

test('pushText: after an abort no delta is handed on, and it rejects as aborted', async () => {
  const provider = new DemoProvider({ delayMs: 1 });
  const controller = new AbortController();
  let seen = 0;
  const error = await pushText(provider, request(controller.signal), () => {
    if (++seen === 3) controller.abort();
  }).then(
    () => assert.fail('expected the stream to be aborted'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof LlmError);
  assert.equal(error.kind, 'aborted');
  assert.equal(seen, 3);
});

/** A push-only provider: its `streamTo` sends the given pieces, then ends as told; `stream` is never used. */
function pushing(pieces: string[], end?: LlmError): LlmProvider & { signals: AbortSignal[] } {
  const signals: AbortSignal[] = [];
  return {
    name: 'demo',
    defaultModel: 'push',
    signals,
    stream: () => assert.fail('pushText must use streamTo'),
    async streamTo(req: CompletionRequest, onText: TextSink): Promise<void> {
      if (req.signal) signals.push(req.signal);
      for (const piece of pieces) {
        await new Promise((r) => setImmediate(r));
        if (req.signal?.aborted) throw abortedError(req.signal.reason);
        onText(piece);
      }
      if (end) throw end;
    },
  };
}

test('pushText: a provider with streamTo is driven through it', async () => {
  const provider = pushing(['a', 'b', 'c']);
  const seen: string[] = [];
  await pushText(provider, request(), (delta) => seen.push(delta));
  assert.deepEqual(seen, ['a', 'b', 'c']);
});

test('pullText: the pushed text in order, its error thrown after the text', async () => {
  const ok = pushing(['one ', 'two ', 'three']);
  assert.equal((await collect(pullText((r, on) => ok.streamTo!(r, on), request()))).text, 'one two three');

  const cut = pushing(['partial'], new LlmError('stream_cut', 'cut'));
  const { error, text } = await failure(pullText((r, on) => cut.streamTo!(r, on), request()));
  assert.equal(error.kind, 'stream_cut');
  assert.equal(text, 'partial');
});

test('pullText: a consumer that stops early aborts the pushed stream; the caller’s signal still counts', async () => {
  const provider = pushing(['a', 'b', 'c', 'd']);
  for await (const _ of pullText((r, on) => provider.streamTo!(r, on), request())) break;
  assert.equal(provider.signals.length, 1);
  assert.equal(provider.signals[0]!.aborted, true);

  const controller = new AbortController();
  const other = pushing(['a', 'b', 'c', 'd']);
  const pending = failure(pullText((r, on) => other.streamTo!(r, on), request(controller.signal)));
  controller.abort();
  assert.equal((await pending).error.kind, 'aborted');
});
