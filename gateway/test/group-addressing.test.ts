// Group rooms: the bot answers when called by name (its localpart or display name) and stays quiet
// otherwise; group chatter never costs its sender a rate-limit token, even when the gateway has to ask
// the homeserver how big the room is. Real Synapse, the real gateway, a fake Anthropic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useInProcessGateway } from './support/in-process-suite.ts';
import { TestUser } from './support/matrix-user.ts';

const suite = useInProcessGateway({
  fake: { reply: 'Soup, as every day.', tokensPerSecond: 200 },
  extra: {
    RATE_LIMIT_CAPACITY: '2',
    RATE_LIMIT_REFILL_PER_SECOND: '0.0001',
    BOT_DISPLAY_NAME: 'Clawdbot',
  },
});

test('group chatter costs no rate-limit token; the bot answers to its display name', async () => {
  const { hs, fake } = suite;
  const bot = suite.slot.botUserId;
  const alice = await TestUser.create(hs);
  const bob = await TestUser.create(hs);
  const { room_id: group } = await alice.client.createRoom({
    invite: [bot, bob.userId],
    preset: 'private_chat' as never,
  });
  await alice.waitForMember(group, bot);
  await bob.client.joinRoom(group);
  await alice.waitForMember(group, bob.userId);

  // Bob's join just told the gateway the room changed, so it does not know the room's size yet.
  const chatter = [];
  for (const text of ['Bob, lunch today?', 'The usual place?', 'At noon then.'])
    chatter.push(await alice.sendText(group, text));
  const byName = await alice.sendText(group, 'Clawdbot, what is for lunch?');
  const first = await alice.finalReply(group, byName, bot);
  assert.equal(first.state, 'done', 'a message calling the bot by its display name is answered');
  assert.equal(first.body, 'Soup, as every day.');
  const byLocalpart = await alice.sendText(group, `${bot.slice(1, bot.indexOf(':'))}: and dessert?`);
  assert.equal((await alice.finalReply(group, byLocalpart, bot)).state, 'done');

  for (const id of chatter) assert.equal((await alice.repliesTo(group, id, bot)).length, 0);
  assert.equal(fake.requestCount, 2);

  // The two answers used the two tokens: the limit itself still holds in the group.
  const third = await alice.sendText(group, 'Clawdbot: and coffee?');
  const refusal = await alice.finalReply(group, third, bot);
  assert.equal(refusal.latest.msgtype, 'm.notice');
  assert.match(refusal.body, /faster than I can answer/);
  assert.equal(fake.requestCount, 2);
});
