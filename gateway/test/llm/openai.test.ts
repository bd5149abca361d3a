import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenAiProvider } from '../../src/llm/openai.ts';
import { startFakeOpenAI } from '../fakes/index.ts';
import { collect, FAST_RETRY } from './helpers.ts';
import { providerContract } from './provider-contract.ts';

providerContract({
  name: 'openai',
  start: startFakeOpenAI,
  make: (baseUrl, retry) => new OpenAiProvider({ apiKey: 'test-key', baseUrl, ...(retry ? { retry } : {}) }),
  urlFor: (port) => `http://127.0.0.1:${port}/v1`,
  streamErrorType: 'server_error',
});

test('openai: retry-after-ms is honoured and the system prompt travels as a system message', async () => {
  const fake = await startFakeOpenAI({ reply: 'fine', script: [{ status: 429, retryAfterMs: 50 }] });
  try {
    const provider = new OpenAiProvider({ baseUrl: fake.url, retry: FAST_RETRY });
    const { text } = await collect(
      provider.stream({
        model: 'llama3',
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'hi' }],
        maxTokens: 7,
      }),
    );
    assert.equal(text, 'fine');
    assert.equal(fake.requestCount, 2);
    const recorded = fake.requests[1]!;
    assert.equal(recorded.system, 'Be brief.');
    assert.equal(recorded.model, 'llama3');
    assert.equal(recorded.maxTokens, 7);
    // No key configured (a local server): the SDK still sends a placeholder bearer.
    assert.match(recorded.headers.authorization ?? '', /^Bearer /);
  } finally {
    await fake.close();
  }
});
