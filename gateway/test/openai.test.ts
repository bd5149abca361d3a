// The same conversation through the `openai` provider: a fake OpenAI-compatible server (real chat
// completions SSE) behind the real `openai` SDK.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AppserviceSlot, getTestHomeserver } from '@clawchat/local-synapse/harness';
import type { Gateway } from '../src/gateway.ts';
import { type FailureStep, type FakeLlmServer, startFakeOpenAI } from './fakes/index.ts';
import { gatewayEnv } from './support/gateway-env.ts';
import { startInProcessGateway } from './support/in-process-gateway.ts';
import { TestUser } from './support/matrix-user.ts';

const REPLY = 'An *OpenAI-compatible* answer, streamed chunk by chunk through chat completions.';

describe('conversation through an OpenAI-compatible provider', () => {
  let slot: AppserviceSlot;
  let fake: FakeLlmServer;
  let gateway: Gateway;
  let alice: TestUser;
  let room: string;
  const script: FailureStep[] = [];
  let env: Record<string, string>;

  before(async () => {
    const hs = await getTestHomeserver();
    slot = hs.claimAppservice();
    fake = await startFakeOpenAI({ reply: REPLY, tokensPerSecond: 40, script });
    env = gatewayEnv({
      hs,
      slot,
      backend: 'memory',
      llm: { provider: 'openai', url: fake.url },
      extra: { SYSTEM_PROMPT: 'Be kind.' },
    });
    gateway = await startInProcessGateway(env);
    alice = await TestUser.create(hs);
    room = await alice.dmWith(slot.botUserId);
  });

  after(async () => {
    await gateway?.stop();
    await fake?.close();
  });

  test('a message gets a streamed reply with the whole text at the end', async () => {
    const source = await alice.sendText(room, 'Hi OpenAI');
    const reply = await alice.finalReply(room, source, slot.botUserId);
    assert.equal(reply.state, 'done');
    assert.equal(reply.body, REPLY);
    assert.match(String(reply.latest.formatted_body), /<em>OpenAI-compatible<\/em>/);
    const request = fake.requests[0]!;
    assert.equal(request.model, 'gpt-test');
    assert.equal(request.system, 'Be kind.');
    assert.deepEqual(request.messages.at(-1), { role: 'user', content: 'Hi OpenAI' });
  });

  test('429 then success, and a cut stream marked as an error', async () => {
    script[fake.requestCount] = { status: 429, retryAfter: 0 };
    const busy = await alice.sendText(room, 'Busy?');
    assert.equal((await alice.finalReply(room, busy, slot.botUserId)).body, REPLY);
    script[fake.requestCount] = { cut: 3 };
    const cut = await alice.sendText(room, 'Cut?');
    const reply = await alice.finalReply(room, cut, slot.botUserId);
    assert.equal(reply.state, 'error');
    assert.match(reply.body, /^An \*OpenAI-compatible\*/);
    assert.match(reply.body, /cut off/);
  });

  test('a new process without the history rebuilds it from the room (latest edits, no failed replies)', async () => {
    await gateway.stop();
    gateway = await startInProcessGateway(env); // a fresh in-process store: the history is unknown
    const before = fake.requestCount;
    const source = await alice.sendText(room, 'What did I ask first?');
    assert.equal((await alice.finalReply(room, source, slot.botUserId)).state, 'done');
    assert.deepEqual(fake.requests[before]!.messages, [
      { role: 'user', content: 'Hi OpenAI' },
      { role: 'assistant', content: REPLY },
      { role: 'user', content: 'Busy?' },
      { role: 'assistant', content: REPLY },
      { role: 'user', content: 'Cut?' },
      { role: 'user', content: 'What did I ask first?' },
    ]);
  });
});
