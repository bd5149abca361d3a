import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DemoProvider, demoReply } from '../../src/llm/demo.ts';
import { collect, failure } from './helpers.ts';

const request = (content: string, signal?: AbortSignal) => ({
  model: 'demo',
  messages: [
    { role: 'user' as const, content: 'first' },
    { role: 'assistant' as const, content: 'ok' },
    { role: 'user' as const, content },
  ],
  maxTokens: 100,
  ...(signal ? { signal } : {}),
});

test('demo: deterministic, word by word, echoing the last user message', async () => {
  const provider = new DemoProvider({ delayMs: 0 });
  const a = await collect(provider.stream(request('Tell me   about\nMatrix')));
  const b = await collect(provider.stream(request('Tell me   about\nMatrix')));
  assert.equal(a.text, b.text);
  assert.equal(a.text, demoReply(request('Tell me about Matrix').messages));
  assert.ok(a.deltas > 20, 'streamed in many pieces');
  assert.match(a.text, /demo provider/);
  assert.match(a.text, /> Tell me about Matrix/);
  assert.match(a.text, /\(4 words\)/);
  assert.match(a.text, /`ANTHROPIC_API_KEY`/);
  assert.match(a.text, /`LLM_PROVIDER=openai`/);
  assert.match(a.text, /^- /m, 'has a Markdown list');
});

test('demo: a long message is echoed shortened', () => {
  const text = demoReply([{ role: 'user', content: 'word '.repeat(200) }]);
  assert.match(text, /…/);
  assert.ok(text.length < 1200);
});

test('demo: abort stops the stream with kind aborted', async () => {
  const provider = new DemoProvider({ delayMs: 1 });
  const controller = new AbortController();
  let seen = 0;
  let kind: string | undefined;
  try {
    for await (const _ of provider.stream(request('hello', controller.signal))) {
      if (++seen === 3) controller.abort();
    }
  } catch (err) {
    kind = (err as { kind?: string }).kind;
  }
  assert.equal(kind, 'aborted');
  assert.equal(seen, 3);
  const { error } = await failure(provider.stream(request('x', AbortSignal.abort())));
  assert.equal(error.kind, 'aborted');
});
