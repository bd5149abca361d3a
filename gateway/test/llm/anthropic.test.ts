import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnthropicProvider } from '../../src/llm/anthropic.ts';
import { startFakeAnthropic } from '../fakes/index.ts';
import { collect, FAST_RETRY } from './helpers.ts';
import { providerContract } from './provider-contract.ts';

providerContract({
  name: 'anthropic',
  start: startFakeAnthropic,
  make: (baseUrl, retry) =>
    new AnthropicProvider({ apiKey: 'test-key', baseUrl, ...(retry ? { retry } : {}) }),
  urlFor: (port) => `http://127.0.0.1:${port}`,
  streamErrorType: 'overloaded_error',
});

test('anthropic: the API key and version headers reach the server', async () => {
  const fake = await startFakeAnthropic({ apiKey: 'sk-ant-test' });
  try {
    const provider = new AnthropicProvider({ apiKey: 'sk-ant-test', baseUrl: fake.url, retry: FAST_RETRY });
    await collect(
      provider.stream({ model: 'm', messages: [{ role: 'user', content: 'hi' }], maxTokens: 10 }),
    );
    const headers = fake.requests[0]!.headers;
    // SDK 1.x sends the key as a bearer token; older ones used x-api-key. The fake accepts both.
    assert.ok(headers['x-api-key'] === 'sk-ant-test' || headers.authorization === 'Bearer sk-ant-test');
    assert.ok(headers['anthropic-version'], 'anthropic-version header');
  } finally {
    await fake.close();
  }
});

test('anthropic: the provider requires an API key', () => {
  assert.throws(() => new AnthropicProvider({ apiKey: '' }), /ANTHROPIC_API_KEY/);
});
