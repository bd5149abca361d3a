// The LLM streams on worker threads: the same provider contract as in the main thread (through the
// official SDKs against their fakes), plus what only the threads have: aborts and early exits cross
// to the thread, and a thread that dies fails its streams and comes back.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import type { ProviderConfig } from '../../src/llm/factory.ts';
import type { RetryPolicy } from '../../src/llm/retry.ts';
import { TEXT_BATCH_MS } from '../../src/llm/threads/protocol.ts';
import { ThreadedProvider } from '../../src/llm/threads/threaded-provider.ts';
import { LlmError } from '../../src/llm/types.ts';
import { startFakeAnthropic, startFakeOpenAI } from '../fakes/index.ts';
import { waitFor } from '../support/wait.ts';
import { collect, FAST_RETRY, failure } from './helpers.ts';
import { providerContract } from './provider-contract.ts';

const made: ThreadedProvider[] = [];
after(async () => {
  await Promise.all(made.map((p) => p.close()));
});

/** `earlyDeathMs` short: a thread the test kills comes back without the 5-s pause of a broken install. */
function threaded(
  config: ProviderConfig,
  threads = 1,
  options: { youngGenerationMb?: number; earlyDeathMs?: number } = {},
): ThreadedProvider {
  const provider = new ThreadedProvider(config, { threads, ...options });
  made.push(provider);
  return provider;
}

/** The provider's live threads (private: the tests reach in to kill one or read its limits). */
function threadsOf(provider: ThreadedProvider): { worker: Worker }[] {
  return (provider as unknown as { threads: { worker: Worker }[] }).threads;
}

const withRetry = (retry?: Partial<RetryPolicy>) => (retry ? { retry } : {});

providerContract({
  name: 'anthropic on a stream thread',
  start: startFakeAnthropic,
  make: (baseUrl, retry) => threaded({ name: 'anthropic', apiKey: 'test-key', baseUrl, ...withRetry(retry) }),
  urlFor: (port) => `http://127.0.0.1:${port}`,
  streamErrorType: 'overloaded_error',
  batchesWithinMs: TEXT_BATCH_MS,
});

providerContract({
  name: 'openai on a stream thread',
  start: startFakeOpenAI,
  make: (baseUrl, retry) => threaded({ name: 'openai', apiKey: 'test-key', baseUrl, ...withRetry(retry) }),
  urlFor: (port) => `http://127.0.0.1:${port}/v1`,
  streamErrorType: 'server_error',
  batchesWithinMs: TEXT_BATCH_MS,
});

const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], maxTokens: 64 };

test('stream threads: retried failures reach onRetry, the kinds and retry-after cross intact', async () => {
  const fake = await startFakeAnthropic({
    reply: 'fine',
    script: [{ status: 529 }, { status: 429, retryAfterMs: 10 }, 'ok', { status: 401 }],
  });
  try {
    const provider = threaded({ name: 'anthropic', apiKey: 'k', baseUrl: fake.url, retry: FAST_RETRY });
    const retried: LlmError[] = [];
    const { text } = await collect(provider.stream({ ...request, onRetry: (e) => retried.push(e) }));
    assert.equal(text, 'fine');
    assert.deepEqual(
      retried.map((e) => [e.kind, e.details.status]),
      [
        ['overloaded', 529],
        ['rate_limited', 429],
      ],
    );
    assert.ok(retried.every((e) => e instanceof LlmError));
    const { error } = await failure(provider.stream(request));
    assert.equal(error.kind, 'auth');
    assert.equal(error.details.status, 401);
  } finally {
    await fake.close();
  }
});

test('stream threads: an abort or an early exit stops the HTTP stream in the thread', async () => {
  const fake = await startFakeAnthropic({ reply: 'word '.repeat(400), tokensPerSecond: 50 });
  try {
    const provider = threaded({ name: 'anthropic', apiKey: 'k', baseUrl: fake.url, retry: FAST_RETRY });
    const abort = new AbortController();
    let seen = '';
    const { error: aborted } = await failure(
      (async function* () {
        for await (const delta of provider.stream({ ...request, signal: abort.signal })) {
          seen += delta;
          abort.abort();
          yield delta;
        }
      })(),
    );
    assert.equal(aborted.kind, 'aborted');
    assert.ok(seen.length > 0);
    await waitFor('the aborted stream to close', async () => fake.activeStreams === 0, { timeoutMs: 5000 });

    for await (const _ of provider.stream(request)) break;
    await waitFor('the abandoned stream to close', async () => fake.activeStreams === 0, { timeoutMs: 5000 });
  } finally {
    await fake.close();
  }
});

test('stream threads: streams spread over the threads; a thread that dies fails its streams and comes back', async () => {
  const fake = await startFakeAnthropic({ reply: 'word '.repeat(200), tokensPerSecond: 40 });
  try {
    const provider = threaded({ name: 'anthropic', apiKey: 'k', baseUrl: fake.url, retry: FAST_RETRY }, 2, {
      earlyDeathMs: 100,
    });
    await provider.ready; // both threads have loaded the SDK
    const threads = threadsOf(provider);
    const streams = [provider.stream(request), provider.stream(request)].map((s) => failure(s));
    await waitFor('both streams to run', async () => fake.activeStreams === 2, { timeoutMs: 10_000 });
    const [dying, surviving] = threads;
    await dying!.worker.terminate();
    // One of the two streams ran on the terminated thread: it fails as a network error.
    const { error: first } = await Promise.race(streams);
    assert.equal(first.kind, 'network');
    assert.match(first.message, /stream thread stopped/);
    assert.equal(threads.length, 1);
    assert.equal(threads[0], surviving);
    await waitFor('the thread to come back', async () => threads.length === 2, { timeoutMs: 10_000 });
    const { text } = await collect(provider.stream(request));
    assert.equal(text, 'word '.repeat(200));

    // With its only thread dead (and not yet back: it died young, so it waits 5 s), a stream fails at
    // once, saying why.
    const single = threaded({ name: 'anthropic', apiKey: 'k', baseUrl: fake.url, retry: FAST_RETRY });
    await single.ready;
    const only = threadsOf(single);
    await only[0]!.worker.terminate();
    await waitFor('the dead thread to leave the rotation', async () => only.length === 0, {
      timeoutMs: 5000,
    });
    const { error } = await failure(single.stream(request));
    assert.equal(error.kind, 'network');
    assert.match(error.message, /restarting/);
  } finally {
    await fake.close();
  }
});

test('stream threads: their busy time grows with the streams and never goes back when a thread dies', async () => {
  const fake = await startFakeAnthropic({ reply: 'busy '.repeat(100), tokensPerSecond: 400 });
  try {
    const provider = threaded({ name: 'anthropic', apiKey: 'k', baseUrl: fake.url }, 2, {
      earlyDeathMs: 100,
    });
    await provider.ready;
    const atStart = provider.busyMs();
    assert.ok(atStart > 0, `the threads were busy loading the SDK (${atStart} ms)`);
    await Promise.all([collect(provider.stream(request)), collect(provider.stream(request))]);
    const afterStreams = provider.busyMs();
    assert.ok(afterStreams > atStart, `${afterStreams} ms after the streams, ${atStart} ms before`);
    const threads = threadsOf(provider);
    await threads[0]!.worker.terminate();
    await waitFor('the dead thread to leave the rotation', async () => threads.length === 1, {
      timeoutMs: 5000,
    });
    assert.ok(provider.busyMs() >= afterStreams, 'the dead thread keeps its busy time in the total');
  } finally {
    await fake.close();
  }
});

test('stream threads: a young generation size reaches every thread, a restarted one too', async () => {
  const fake = await startFakeAnthropic({ reply: 'sized' });
  try {
    const provider = threaded({ name: 'anthropic', apiKey: 'k', baseUrl: fake.url, retry: FAST_RETRY }, 2, {
      youngGenerationMb: 192,
      earlyDeathMs: 100,
    });
    await provider.ready;
    const threads = threadsOf(provider);
    const sizes = () => threads.map((t) => t.worker.resourceLimits?.maxYoungGenerationSizeMb);
    assert.deepEqual(sizes(), [192, 192]);
    await threads[0]!.worker.terminate();
    await waitFor('the thread to come back', async () => threads.length === 2, { timeoutMs: 10_000 });
    assert.deepEqual(sizes(), [192, 192]);
    assert.equal((await collect(provider.stream(request))).text, 'sized');

    // Unset: V8's own size, whatever it is on this Node.
    const own = threaded({ name: 'anthropic', apiKey: 'k', baseUrl: fake.url, retry: FAST_RETRY });
    await own.ready;
    const [thread] = threadsOf(own);
    assert.notEqual(thread!.worker.resourceLimits?.maxYoungGenerationSizeMb, 192);
  } finally {
    await fake.close();
  }
});

test('stream threads, pushed: text goes to the callback; an abort settles at once and takes no more text', async () => {
  const fake = await startFakeAnthropic({ reply: 'word '.repeat(300), tokensPerSecond: 100 });
  try {
    const provider = threaded({ name: 'anthropic', apiKey: 'k', baseUrl: fake.url, retry: FAST_RETRY });
    let whole = '';
    await provider.streamTo({ ...request }, (delta) => {
      whole += delta;
    });
    assert.equal(whole, 'word '.repeat(300));

    const abort = new AbortController();
    let seen = '';
    let afterAbort = 0;
    const pending = provider.streamTo({ ...request, signal: abort.signal }, (delta) => {
      if (abort.signal.aborted) afterAbort++;
      seen += delta;
      abort.abort();
    });
    const error = await pending.then(
      () => assert.fail('expected aborted'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof LlmError);
    assert.equal(error.kind, 'aborted');
    assert.ok(seen.length > 0);
    await waitFor('the aborted stream to close', async () => fake.activeStreams === 0, { timeoutMs: 5000 });
    assert.equal(afterAbort, 0);
  } finally {
    await fake.close();
  }
});

test('stream threads, pushed: a callback that throws fails its own stream only', async () => {
  const fake = await startFakeAnthropic({ reply: 'word '.repeat(100), tokensPerSecond: 400 });
  try {
    const provider = threaded({ name: 'anthropic', apiKey: 'k', baseUrl: fake.url, retry: FAST_RETRY });
    let other = '';
    const [broken, fine] = await Promise.allSettled([
      provider.streamTo(request, () => {
        throw new Error('the reply is gone');
      }),
      provider.streamTo(request, (delta) => {
        other += delta;
      }),
    ]);
    assert.equal(broken.status, 'rejected');
    assert.match(String((broken as PromiseRejectedResult).reason), /the reply is gone/);
    assert.equal(fine.status, 'fulfilled');
    assert.equal(other, 'word '.repeat(100));
    await waitFor('the failed stream to close', async () => fake.activeStreams === 0, { timeoutMs: 5000 });
  } finally {
    await fake.close();
  }
});
