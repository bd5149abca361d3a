// The gateway's logs at the default level: JSON lines, and no token, key or message text in them, on a
// conversation that also goes through retried and failed LLM calls and a failed homeserver request.
// Real Synapse, the real gateway, a fake Anthropic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FailureStep } from './fakes/index.ts';
import { useInProcessGateway } from './support/in-process-suite.ts';
import { TestUser } from './support/matrix-user.ts';

const API_KEY = 'sk-ant-test-secret-key-0123456789';
const QUESTION = 'my secret question about zebra-umbrella-42';
const ANSWER = 'the secret answer is kiwi-lantern-77';

const lines: string[] = [];
const script: FailureStep[] = [];
const suite = useInProcessGateway({
  fake: { reply: ANSWER, tokensPerSecond: 200, script, apiKey: API_KEY },
  adjust: (env) => {
    env.ANTHROPIC_API_KEY = API_KEY;
    delete env.LOG_LEVEL; // the default level
  },
  logTo: {
    write: (line: string) => {
      lines.push(line);
    },
  },
});

test('at the default level the logs carry no token, key or message text', async () => {
  const { hs, slot, fake } = suite;
  const alice = await TestUser.create(hs);
  const room = await alice.dmWith(slot.botUserId);
  script[fake.requestCount] = { status: 529 };
  const answered = await alice.sendText(room, QUESTION);
  assert.equal((await alice.finalReply(room, answered, slot.botUserId)).body, ANSWER);
  // A provider that stays down: the failure is logged (with its error), the user is told.
  for (let i = 0; i < 3; i++) script[fake.requestCount + i] = { status: 500 };
  const failed = await alice.sendText(room, `${QUESTION} again`);
  assert.equal((await alice.finalReply(room, failed, slot.botUserId)).state, 'error');

  assert.ok(lines.length > 0, 'the gateway logged something');
  const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.ok(
    entries.some((e) => e.msg === 'LLM call failed'),
    'the failed call is logged',
  );
  assert.ok(
    entries.every((e) => typeof e.level === 'number' && e.level >= 30),
    'info and above only',
  );
  const all = lines.join('\n');
  for (const [what, secret] of [
    ['the as_token', slot.asToken],
    ['the hs_token', slot.hsToken],
    ['the API key', API_KEY],
    ["the user's message", 'zebra-umbrella-42'],
    ["the bot's answer", 'kiwi-lantern-77'],
  ] as const) {
    assert.ok(!all.includes(secret), `${what} appears in the logs`);
  }
});
