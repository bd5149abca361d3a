// The behaviours both HTTP providers must show, run against each vendor's fake through its real SDK.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { RetryPolicy } from '../../src/llm/retry.ts';
import type { LlmProvider } from '../../src/llm/types.ts';
import type { FakeLlmOptions, FakeLlmServer } from '../fakes/index.ts';
import { closedPort, collect, FAST_RETRY, failure } from './helpers.ts';

export interface ProviderUnderTest {
  name: string;
  start(options: FakeLlmOptions): Promise<FakeLlmServer>;
  /** A provider pointed at `baseUrl`. */
  make(baseUrl: string, retry?: Partial<RetryPolicy>): LlmProvider;
  /** The base URL for a port (with the vendor's base path). */
  urlFor(port: number): string;
  /** Text arriving within this many ms may come as one delta (the stream threads batch it). */
  batchesWithinMs?: number;
  /** A retryable error type the vendor sends inside its stream (Anthropic's `overloaded_error`). */
  streamErrorType: string;
}

const REPLY = 'The **answer** is `42`, and here is a list:\n\n- one\n- two\n';
const request = (extra: Partial<Parameters<LlmProvider['stream']>[0]> = {}) => ({
  model: 'test-model',
  system: 'You are terse.',
  messages: [
    { role: 'user' as const, content: 'What is the answer?' },
    { role: 'assistant' as const, content: 'Let me think.' },
    { role: 'user' as const, content: 'Go on.' },
  ],
  maxTokens: 256,
  ...extra,
});

export function providerContract(p: ProviderUnderTest): void {
  describe(`${p.name} provider against its fake`, () => {
    const servers: FakeLlmServer[] = [];
    const start = async (options: FakeLlmOptions) => {
      const server = await p.start(options);
      servers.push(server);
      return server;
    };
    after(async () => {
      await Promise.all(servers.map((s) => s.close()));
    });

    test('a streamed reply arrives in several deltas and equals the fake text', async () => {
      // Chunks further apart than the provider batches (5 ms without batching: separate socket reads),
      // so that they must come as several deltas.
      const spacing = { tokensPerSecond: p.batchesWithinMs ? 2000 / (p.batchesWithinMs * 4) : 400 };
      const fake = await start({ reply: REPLY, chunkSize: 2, ...spacing });
      const { text, deltas } = await collect(p.make(fake.url, FAST_RETRY).stream(request()));
      assert.equal(text, REPLY);
      assert.ok(deltas > 1, `expected several deltas, got ${deltas}`);
      assert.equal(fake.requests.length, 1);
      const recorded = fake.requests[0]!;
      assert.equal(recorded.model, 'test-model');
      assert.equal(recorded.system, 'You are terse.');
      assert.deepEqual(
        recorded.messages.map((m) => m.role),
        ['user', 'assistant', 'user'],
      );
      assert.equal(recorded.messages[2]!.content, 'Go on.');
      assert.equal(recorded.maxTokens, 256);
      assert.equal(recorded.stream, true);
    });

    test('the reply can depend on the request, and paced streams arrive whole', async () => {
      const fake = await start({
        reply: (r) => `echo: ${r.messages.at(-1)?.content}`,
        tokensPerSecond: 500,
        timeToFirstTokenMs: 5,
      });
      const { text } = await collect(p.make(fake.url, FAST_RETRY).stream(request()));
      assert.equal(text, 'echo: Go on.');
    });

    test('429 with retry-after, then success: retried once, after the wait', async () => {
      const fake = await start({ reply: REPLY, script: [{ status: 429, retryAfter: 1 }, 'ok'] });
      const { text } = await collect(p.make(fake.url, FAST_RETRY).stream(request()));
      assert.equal(text, REPLY);
      assert.equal(fake.requestCount, 2);
    });

    test('overloaded (529 / 503), then success', async () => {
      const fake = await start({ reply: REPLY, script: [{ status: 529 }, { status: 503 }, 'ok'] });
      const { text } = await collect(p.make(fake.url, FAST_RETRY).stream(request()));
      assert.equal(text, REPLY);
      assert.equal(fake.requestCount, 3);
    });

    test('a failure that persists surfaces with its kind after maxAttempts', async () => {
      const fake = await start({ script: [{ status: 500 }, { status: 500 }, { status: 500 }, 'ok'] });
      const { error } = await failure(p.make(fake.url, FAST_RETRY).stream(request()));
      assert.equal(error.kind, 'server');
      assert.equal(error.details.status, 500);
      assert.equal(fake.requestCount, 3);
    });

    test('4xx is not retried', async () => {
      const fake = await start({ script: [{ status: 400, message: 'messages: bad' }] });
      const { error } = await failure(p.make(fake.url, FAST_RETRY).stream(request()));
      assert.equal(error.kind, 'bad_request');
      assert.equal(fake.requestCount, 1);
    });

    test('a wrong API key is an auth error, not retried', async () => {
      const fake = await start({ apiKey: 'the-right-key' });
      const { error } = await failure(p.make(fake.url, FAST_RETRY).stream(request()));
      assert.equal(error.kind, 'auth');
      assert.equal(fake.requestCount, 1);
    });

    test('a stream dropped after text arrived throws stream_cut, without retrying', async () => {
      const fake = await start({ reply: REPLY, script: [{ cut: 3 }, 'ok'] });
      const { error, text } = await failure(p.make(fake.url, FAST_RETRY).stream(request()));
      assert.equal(error.kind, 'stream_cut');
      assert.ok(text.length > 0 && REPLY.startsWith(text), `partial text ${JSON.stringify(text)}`);
      assert.equal(fake.requestCount, 1);
    });

    test('an error in the stream before any text is retried; after text it is stream_cut', async () => {
      const reply = 'one two three four';
      const fake = await start({
        reply,
        script: [
          { streamError: p.streamErrorType, afterChunks: 0 },
          'ok',
          { streamError: p.streamErrorType, afterChunks: 2 },
        ],
      });
      const provider = p.make(fake.url, FAST_RETRY);
      assert.equal((await collect(provider.stream(request()))).text, reply);
      assert.equal(fake.requestCount, 2);
      const { error, text } = await failure(provider.stream(request()));
      assert.equal(error.kind, 'stream_cut');
      assert.match(error.message, new RegExp(p.streamErrorType));
      assert.equal(text, 'one two ');
    });

    test('a stream that ends cleanly without its terminal event throws stream_cut', async () => {
      const fake = await start({ reply: REPLY, script: [{ cut: 2, mode: 'end' }] });
      const { error, text } = await failure(p.make(fake.url, FAST_RETRY).stream(request()));
      assert.equal(error.kind, 'stream_cut');
      assert.ok(text.length > 0);
    });

    test('a stream cut before any text is retried (nothing was shown), stream_cut when it persists', async () => {
      const fake = await start({ reply: REPLY, script: [{ cut: 0, mode: 'end' }, { cut: 0 }, 'ok'] });
      const { text } = await collect(p.make(fake.url, FAST_RETRY).stream(request()));
      assert.equal(text, REPLY);
      assert.equal(fake.requestCount, 3);
      const always = await start({
        script: [
          { cut: 0, mode: 'end' },
          { cut: 0, mode: 'end' },
          { cut: 0, mode: 'end' },
        ],
      });
      const { error } = await failure(p.make(always.url, FAST_RETRY).stream(request()));
      assert.equal(error.kind, 'stream_cut');
      assert.equal(always.requestCount, 3);
    });

    test('provider down (connection refused) gives network after the retries', async () => {
      const port = await closedPort();
      const { error } = await failure(p.make(p.urlFor(port), FAST_RETRY).stream(request()));
      assert.equal(error.kind, 'network');
      assert.equal(error.retryable, true);
    });

    test('aborting while the server hangs throws aborted', async () => {
      const fake = await start({ script: ['hang'] });
      const controller = new AbortController();
      const pending = failure(p.make(fake.url, FAST_RETRY).stream(request({ signal: controller.signal })));
      for (let i = 0; i < 2000 && fake.requestCount === 0; i++) await new Promise((r) => setTimeout(r, 5));
      controller.abort();
      const { error } = await pending;
      assert.equal(error.kind, 'aborted');
    });

    test('aborting mid-stream throws aborted and keeps the text seen so far', async () => {
      const fake = await start({ reply: REPLY, script: [{ cut: 2, mode: 'hang' }] });
      const controller = new AbortController();
      let text = '';
      let caught: unknown;
      try {
        for await (const delta of p
          .make(fake.url, FAST_RETRY)
          .stream(request({ signal: controller.signal }))) {
          text += delta;
          if (text.length > 0) controller.abort();
        }
      } catch (err) {
        caught = err;
      }
      assert.equal((caught as { kind?: string }).kind, 'aborted');
      assert.ok(text.length > 0);
    });

    test('pushed (streamTo): the same text, retried the same way as pulled', async () => {
      const fake = await start({ reply: REPLY, chunkSize: 3, script: [{ status: 429 }, 'ok'] });
      const provider = p.make(fake.url, FAST_RETRY);
      assert.ok(provider.streamTo, 'an HTTP provider pushes its text');
      const retried: string[] = [];
      let text = '';
      await provider.streamTo(request({ onRetry: (e) => retried.push(e.kind) }), (delta) => {
        text += delta;
      });
      assert.equal(text, REPLY);
      assert.deepEqual(retried, ['rate_limited']);
      assert.equal(fake.requestCount, 2);
    });

    test('pushed: a text callback that throws stops the request, with its own error, not retried', async () => {
      const fake = await start({ reply: 'word '.repeat(100), tokensPerSecond: 400 });
      const provider = p.make(fake.url, FAST_RETRY);
      await assert.rejects(
        provider.streamTo!(request(), () => {
          throw new Error('the reply is gone');
        }),
        /the reply is gone/,
      );
      assert.equal(fake.requestCount, 1);
      for (let i = 0; i < 1000 && fake.activeStreams > 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(fake.activeStreams, 0, 'the stream was closed');
    });

    test('an already aborted signal sends nothing', async () => {
      const fake = await start({});
      const { error } = await failure(
        p.make(fake.url, FAST_RETRY).stream(request({ signal: AbortSignal.abort() })),
      );
      assert.equal(error.kind, 'aborted');
      assert.equal(fake.requestCount, 0);
    });
  });
}
