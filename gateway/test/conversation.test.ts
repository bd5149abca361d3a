// The conversation, end to end: a real Synapse, the real matrix-js-sdk as the user, the gateway on an
// appservice slot, and a fake Anthropic server (real SSE wire format) behind the real @anthropic-ai/sdk.
// The same suite runs on both state backends (in-process and Redis).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getTestHomeserver, type TestHomeserver } from '@clawchat/local-synapse/harness';
import type { Gateway } from '../src/gateway.ts';
import {
  type FailureStep,
  type FakeLlmServer,
  type RecordedRequest,
  startFakeAnthropic,
} from './fakes/index.ts';
import { type Backend, gatewayEnv } from './support/gateway-env.ts';
import { startInProcessGateway } from './support/in-process-gateway.ts';
import { TestUser } from './support/matrix-user.ts';
import { waitFor } from './support/wait.ts';

const STORY = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');

export function answerFor(request: RecordedRequest): string {
  const last = request.messages.at(-1)?.content ?? '';
  if (last.includes('long story')) return STORY;
  return `You said "${last.slice(0, 40)}". Here is **a streamed answer** with several words so that it grows through edits over time.`;
}

for (const backend of ['memory', 'redis'] as Backend[]) {
  describe(`conversation (${backend} state)`, () => {
    let hs: TestHomeserver;
    let fake: FakeLlmServer;
    let gateway: Gateway;
    let alice: TestUser;
    let room: string;
    let bot: string;
    const script: FailureStep[] = [];

    /** Makes the next LLM requests behave as given. */
    const nextRequests = (...steps: FailureStep[]) => {
      steps.forEach((step, i) => {
        script[fake.requestCount + i] = step;
      });
    };

    before(async () => {
      hs = await getTestHomeserver();
      const slot = hs.claimAppservice();
      bot = slot.botUserId;
      fake = await startFakeAnthropic({ reply: answerFor, tokensPerSecond: 40, script });
      gateway = await startInProcessGateway(
        gatewayEnv({
          hs,
          slot,
          backend,
          llm: { provider: 'anthropic', url: fake.url },
          extra: {
            RATE_LIMIT_CAPACITY: '1000',
            MAX_MESSAGE_CHARS: '500',
            SYSTEM_PROMPT: 'You are the test bot.',
          },
        }),
      );
      alice = await TestUser.create(hs);
      room = await alice.dmWith(bot);
    });

    after(async () => {
      await gateway?.stop();
      await fake?.close();
    });

    test('a room the bot joins on invite starts with an empty memory, so no /messages look-up', async () => {
      await waitFor(
        'the stored history of the new room',
        async () => (await gateway.state.store.getHistory(room)) !== null,
        { timeoutMs: 10_000, intervalMs: 50 },
      );
      assert.deepEqual(await gateway.state.store.getHistory(room), []);
    });

    test('a message gets a streamed reply that grows through edits and ends with the full text', async () => {
      const before = fake.requestCount;
      const source = await alice.sendText(room, 'Hello there');
      const reply = await alice.finalReply(room, source, bot);
      const request = fake.requests[before]!;
      const expected = answerFor(request);
      assert.equal(reply.state, 'done');
      assert.equal(reply.body, expected);
      assert.equal(reply.latest.format, 'org.matrix.custom.html');
      assert.match(String(reply.latest.formatted_body), /<strong>a streamed answer<\/strong>/);
      assert.equal(request.system, 'You are the test bot.');
      assert.deepEqual(request.messages.at(-1), { role: 'user', content: 'Hello there' });
      // The first post carried the first tokens only, marked streaming; the edits grew it.
      assert.equal((reply.reply.content['org.clawchat.stream'] as { state: string }).state, 'streaming');
      assert.ok(
        String(reply.reply.content.body).length < expected.length,
        'the first post is not the whole reply',
      );
      assert.ok(reply.edits.length >= 2, `expected intermediate edits, got ${reply.edits.length}`);
      const requests = await gateway.metrics.homeserverRequests.get();
      assert.ok(
        !requests.values.some((v) => v.labels.endpoint === 'messages'),
        'the history of a room joined on invite is known: no /messages',
      );
      let previous = '';
      for (const edit of reply.edits) {
        const body = String((edit.content['m.new_content'] as { body: string }).body);
        assert.ok(expected.startsWith(body), 'every edit shows a prefix of the reply');
        assert.ok(body.length >= previous.length, 'the reply only grows');
        previous = body;
      }
    });

    test('the bot shows as typing while it generates, and no longer once the reply is done', async () => {
      const own = await alice.dmWith(bot); // a room of its own: the others' memory is asserted
      const typing = alice.watchTyping(own);
      try {
        await typing.ready;
        const source = await alice.sendText(own, 'Are you typing?');
        await alice.finalReply(own, source, bot);
        await waitFor(
          'the typing notification to be cleared',
          async () => typing.changes.length > 0 && !typing.changes.at(-1)!.includes(bot),
          { timeoutMs: 10_000, intervalMs: 50 },
        );
        assert.ok(
          typing.changes.some((ids) => ids.includes(bot)),
          `the bot was never seen typing: ${JSON.stringify(typing.changes)}`,
        );
      } finally {
        await typing.stop();
      }
    });

    test('the conversation is remembered, and !new forgets it', async () => {
      const before = fake.requestCount;
      const source = await alice.sendText(room, 'What did I say first?');
      await alice.finalReply(room, source, bot);
      const messages = fake.requests[before]!.messages;
      assert.deepEqual(messages[0], { role: 'user', content: 'Hello there' });
      assert.equal(messages.at(-1)!.content, 'What did I say first?');
      assert.equal(messages.length, 3);

      const reset = await alice.sendText(room, '!new');
      const notice = await alice.finalReply(room, reset, bot);
      assert.equal(notice.latest.msgtype, 'm.notice');
      const afterNew = fake.requestCount;
      const fresh = await alice.sendText(room, 'A fresh start');
      await alice.finalReply(room, fresh, bot);
      assert.deepEqual(fake.requests[afterNew]!.messages, [{ role: 'user', content: 'A fresh start' }]);
    });

    test('!help and unknown commands answer with help and call no LLM', async () => {
      const before = fake.requestCount;
      const help = await alice.finalReply(room, await alice.sendText(room, '!help'), bot);
      assert.match(help.body, /!new/);
      assert.match(help.body, /!retry/);
      const unknown = await alice.finalReply(room, await alice.sendText(room, '!frobnicate'), bot);
      assert.match(unknown.body, /don't know the command `!frobnicate`/);
      assert.match(unknown.body, /!help/);
      assert.equal(fake.requestCount, before);
    });

    test('!model and !system change the next request, and reset', async () => {
      const model = await alice.finalReply(room, await alice.sendText(room, '!model claude-other'), bot);
      assert.match(model.body, /claude-other/);
      const system = await alice.finalReply(
        room,
        await alice.sendText(room, '!system You are a pirate.'),
        bot,
      );
      assert.match(system.body, /System prompt set/);
      const shown = await alice.finalReply(room, await alice.sendText(room, '!system'), bot);
      assert.match(shown.body, /You are a pirate\./);
      let before = fake.requestCount;
      await alice.finalReply(room, await alice.sendText(room, 'Ahoy'), bot);
      assert.equal(fake.requests[before]!.model, 'claude-other');
      assert.equal(fake.requests[before]!.system, 'You are a pirate.');

      await alice.finalReply(room, await alice.sendText(room, '!model default'), bot);
      await alice.finalReply(room, await alice.sendText(room, '!system reset'), bot);
      before = fake.requestCount;
      await alice.finalReply(room, await alice.sendText(room, 'Back to normal'), bot);
      assert.equal(fake.requests[before]!.model, 'claude-test');
      assert.equal(fake.requests[before]!.system, 'You are the test bot.');
    });

    test('!retry writes a new answer to the last message', async () => {
      const last = await alice.sendText(room, 'Tell me something');
      const first = await alice.finalReply(room, last, bot);
      const before = fake.requestCount;
      const retry = await alice.sendText(room, '!retry');
      const again = await alice.finalReply(room, retry, bot);
      assert.equal(again.state, 'done');
      assert.equal(again.body, first.body);
      const messages = fake.requests[before]!.messages;
      assert.deepEqual(messages.at(-1), { role: 'user', content: 'Tell me something' });
      assert.ok(!messages.some((m) => m.content === '!retry'));
    });

    test('!stop stops the reply in progress; the partial text stays, marked stopped', async () => {
      const source = await alice.sendText(room, 'Please tell me a long story');
      await alice.firstReply(room, source, bot);
      const stop = await alice.sendText(room, '!stop');
      const reply = await alice.finalReply(room, source, bot);
      assert.equal(reply.state, 'stopped');
      assert.match(reply.body, /\(stopped\)/);
      assert.ok(reply.body.length < STORY.length, 'the story was cut short');
      assert.ok(reply.body.startsWith('word0 word1'));
      // The stop was consumed by the reply, so the !stop itself gets no "nothing to stop" notice.
      const afterStop = await alice.sendText(room, '!stop');
      const nothing = await alice.finalReply(room, afterStop, bot);
      assert.match(nothing.body, /nothing to stop/);
      assert.equal((await alice.repliesTo(room, stop, bot)).length, 0);
    });

    test('images, stickers and too-long messages get a polite answer, not an LLM call', async () => {
      const before = fake.requestCount;
      const image = await alice.send(room, {
        msgtype: 'm.image',
        body: 'cat.png',
        url: 'mxc://localhost/abc',
      });
      assert.match((await alice.finalReply(room, image, bot)).body, /can't look at images/);
      const file = await alice.send(room, {
        msgtype: 'm.file',
        body: 'report.pdf',
        url: 'mxc://localhost/def',
      });
      assert.match((await alice.finalReply(room, file, bot)).body, /files/);
      const sticker = await alice.client.sendEvent(
        room,
        'm.sticker' as never,
        { body: 'wave', url: 'mxc://localhost/s', info: {} } as never,
      );
      assert.match((await alice.finalReply(room, sticker.event_id, bot)).body, /stickers/);
      const long = await alice.sendText(room, 'x'.repeat(600));
      assert.match(
        (await alice.finalReply(room, long, bot)).body,
        /600 characters long; I can read at most 500/,
      );
      assert.equal(fake.requestCount, before);
    });

    test('429 then success: the user just gets the answer', async () => {
      nextRequests({ status: 429, retryAfter: 0 });
      const before = fake.requestCount;
      const source = await alice.sendText(room, 'Are you busy?');
      const reply = await alice.finalReply(room, source, bot);
      assert.equal(reply.state, 'done');
      assert.equal(reply.body, answerFor(fake.requests[before + 1]!));
      assert.equal(fake.requestCount, before + 2);
      const metrics = (await gateway.http.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(metrics, /clawchat_llm_retries_total\{kind="rate_limited"\} 1\b/);
    });

    test('a stream cut mid-way keeps the partial text, marked as an error with a notice', async () => {
      nextRequests({ cut: 4 });
      const source = await alice.sendText(room, 'Go on');
      const reply = await alice.finalReply(room, source, bot);
      assert.equal(reply.state, 'error');
      assert.match(reply.body, /^You said "Go on"/);
      assert.match(reply.body, /cut off/);
    });

    test('a provider that stays down: the user sees an error message', async () => {
      nextRequests({ status: 500 }, { status: 500 }, { status: 500 });
      const before = fake.requestCount;
      const source = await alice.sendText(room, 'Anyone there?');
      const reply = await alice.finalReply(room, source, bot);
      assert.equal(reply.state, 'error');
      assert.match(reply.body, /could not be reached/);
      assert.equal(fake.requestCount, before + 3);
    });

    test('threads are answered in the thread', async () => {
      const root = await alice.sendText(room, 'Thread root');
      await alice.finalReply(room, root, bot);
      const inThread = await alice.sendText(room, 'In the thread', {
        'm.relates_to': {
          rel_type: 'm.thread',
          event_id: root,
          is_falling_back: true,
          'm.in_reply_to': { event_id: root },
        },
      });
      const reply = await alice.finalReply(room, inThread, bot);
      const rel = reply.reply.content['m.relates_to'] as { rel_type?: string; event_id?: string };
      assert.equal(rel.rel_type, 'm.thread');
      assert.equal(rel.event_id, root);
    });

    test('in a room of three the bot answers only when mentioned or replied to', async () => {
      const bob = await TestUser.create(hs);
      const { room_id: group } = await alice.client.createRoom({
        invite: [bot, bob.userId],
        preset: 'private_chat' as never,
      });
      await bob.client.joinRoom(group);
      await alice.waitForMember(group, bot);
      await alice.waitForMember(group, bob.userId);
      const before = fake.requestCount;
      const chatter = await alice.sendText(group, 'Bob, lunch today?');
      const mention = await alice.sendText(group, `${bot.slice(1, bot.indexOf(':'))}: what is for lunch?`, {
        'm.mentions': { user_ids: [bot] },
      });
      const answer = await alice.finalReply(group, mention, bot);
      assert.equal(answer.state, 'done');
      assert.equal((await alice.repliesTo(group, chatter, bot)).length, 0);
      const replyToBot = await bob.sendText(group, 'And dessert?', {
        'm.relates_to': { 'm.in_reply_to': { event_id: answer.reply.event_id } },
      });
      assert.equal((await alice.finalReply(group, replyToBot, bot)).state, 'done');
      assert.equal(fake.requestCount, before + 2);
    });
  });
}
