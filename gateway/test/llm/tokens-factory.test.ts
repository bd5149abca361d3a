import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryAfterMsFromHeaders } from '../../src/llm/errors.ts';
import { createProvider } from '../../src/llm/factory.ts';
import { resolveRetryPolicy, retryDelayMs } from '../../src/llm/retry.ts';
import { estimateTokens, trimHistory } from '../../src/llm/tokens.ts';
import type { ChatMessage } from '../../src/llm/types.ts';

test('estimateTokens: empty is 0, grows with the text, counts wide scripts per character', () => {
  assert.equal(estimateTokens(''), 0);
  assert.ok(estimateTokens('hello world, this is a sentence') >= 8);
  assert.equal(estimateTokens('你好世界'), 4);
});

test('trimHistory keeps the newest turns within budget and never starts with an assistant turn', () => {
  const history: ChatMessage[] = [];
  for (let i = 0; i < 20; i++) {
    history.push({ role: 'user', content: `question ${i} ${'x'.repeat(60)}` });
    history.push({ role: 'assistant', content: `answer ${i} ${'y'.repeat(60)}` });
  }
  history.push({ role: 'user', content: 'latest' });
  const trimmed = trimHistory(history, 120);
  assert.ok(trimmed.length < history.length);
  assert.equal(trimmed.at(-1)!.content, 'latest');
  assert.equal(trimmed[0]!.role, 'user');
  assert.deepEqual(trimmed, history.slice(history.length - trimmed.length));
  assert.deepEqual(trimHistory(history, 1_000_000), history);
  // The newest message stays even when it alone exceeds the budget.
  assert.deepEqual(trimHistory([{ role: 'user', content: 'z'.repeat(1000) }], 10).length, 1);
  // An assistant turn at the cut is dropped.
  assert.deepEqual(
    trimHistory(
      [
        { role: 'assistant', content: 'a' },
        { role: 'user', content: 'b' },
      ],
      1000,
    ),
    [{ role: 'user', content: 'b' }],
  );
  assert.throws(() => trimHistory(history, -1), /budgetTokens/);
});

test('retry-after headers: ms wins, seconds and dates are understood', () => {
  assert.equal(retryAfterMsFromHeaders(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' })), 250);
  assert.equal(retryAfterMsFromHeaders(new Headers({ 'retry-after': '2' })), 2000);
  const date = retryAfterMsFromHeaders(
    new Headers({ 'retry-after': new Date(Date.now() + 5000).toUTCString() }),
  );
  assert.ok(date !== undefined && date > 3000 && date <= 5000);
  assert.equal(retryAfterMsFromHeaders(new Headers()), undefined);
});

test('retry delays: exponential with jitter, capped; retry-after capped', () => {
  const policy = resolveRetryPolicy({ baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 });
  for (let i = 0; i < 50; i++) {
    const first = retryDelayMs(1, policy);
    assert.ok(first >= 50 && first <= 100);
    const late = retryDelayMs(10, policy);
    assert.ok(late >= 500 && late <= 1000);
  }
  assert.equal(retryDelayMs(1, policy, 2000), 2000);
  assert.equal(retryDelayMs(1, policy, 60_000), 5000);
  assert.throws(() => resolveRetryPolicy({ maxAttempts: 0 }), /maxAttempts/);
});

test('createProvider builds each provider and names what is wrong in bad config', () => {
  assert.equal(createProvider({ name: 'demo' }).name, 'demo');
  const anthropic = createProvider({ name: 'anthropic', apiKey: 'k', model: 'claude-x', maxTokens: 1000 });
  assert.equal(anthropic.name, 'anthropic');
  assert.equal(anthropic.defaultModel, 'claude-x');
  assert.equal(anthropic.maxTokens, 1000);
  assert.equal(createProvider({ name: 'openai', baseUrl: 'http://127.0.0.1:11434/v1' }).name, 'openai');
  assert.throws(() => createProvider({ name: 'anthropic' }), /ANTHROPIC_API_KEY/);
  assert.throws(() => createProvider({ name: 'openai', baseUrl: 'not a url' }), /baseUrl/);
  assert.throws(() => createProvider({ name: 'nope' as 'demo' }), /unknown name "nope"/);
  assert.throws(() => createProvider({ name: 'demo', maxTokens: 0 }), /maxTokens/);
});
