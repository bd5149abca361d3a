// The embedded backend (no Redis) on its queue journal: a gateway killed with SIGKILL while one reply
// streams and the room's next message waits in the queue. Restarted on the same journal, it finishes
// the same reply message and then answers the waiting message, each exactly once. Without the journal
// both would be lost: the homeserver had been told they were queued and does not send them again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { getTestHomeserver, type TestHomeserver } from '@clawchat/local-synapse/harness';
import { type FakeLlmServer, startFakeAnthropic } from './fakes/index.ts';
import { gatewayEnv } from './support/gateway-env.ts';
import { type GatewayProcess, spawnGateway } from './support/gateway-process.ts';
import { TestUser } from './support/matrix-user.ts';
import { metric } from './support/metrics.ts';
import { waitFor } from './support/wait.ts';

const REPLY = Array.from({ length: 200 }, (_, i) => `token${i}`).join(' ');

let hs: TestHomeserver;
let fake: FakeLlmServer;
const processes: GatewayProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'clawchat-embedded-restart-'));
before(async () => {
  hs = await getTestHomeserver();
  fake = await startFakeAnthropic({ reply: REPLY, tokensPerSecond: 20 });
});
after(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('killed with a reply streaming and a message queued, the embedded gateway answers both after a restart, once each', {
  timeout: 300_000,
}, async () => {
  const slot = hs.claimAppservice();
  const env = gatewayEnv({
    hs,
    slot,
    backend: 'memory',
    llm: { provider: 'anthropic', url: fake.url },
    extra: { QUEUE_JOURNAL_FILE: join(dir, 'state', 'queue.jsonl') },
  });
  const first = spawnGateway(env, 'embedded');
  processes.push(first);
  await first.started;

  const alice = await TestUser.create(hs);
  const room = await alice.dmWith(slot.botUserId);
  const streaming = await alice.sendText(room, 'Count for me, slowly');
  const started = await alice.firstReply(room, streaming, slot.botUserId);
  const queued = await alice.sendText(room, 'And then once more');
  // The invite, the first message and the queued one: acknowledged, so in the journal.
  await waitFor('the second message to be queued', async () =>
    (await metric(slot.port, 'clawchat_jobs_enqueued_total')) >= 3 ? true : undefined,
  );
  assert.equal((await alice.repliesTo(room, streaming, slot.botUserId))[0]?.state, 'streaming');
  await first.stop('SIGKILL');

  const restarted = spawnGateway(env, 'embedded-restarted');
  processes.push(restarted);
  await restarted.started;

  const reply = await alice.finalReply(room, streaming, slot.botUserId, 120_000);
  assert.equal(reply.state, 'done');
  assert.equal(reply.body, REPLY);
  assert.equal(reply.reply.event_id, started.reply.event_id, 'the same reply message was finished');
  const next = await alice.finalReply(room, queued, slot.botUserId, 120_000);
  assert.equal(next.state, 'done');
  assert.equal(next.body, REPLY);
  assert.equal((await alice.repliesTo(room, streaming, slot.botUserId)).length, 1, 'first: answered once');
  assert.equal((await alice.repliesTo(room, queued, slot.botUserId)).length, 1, 'second: answered once');
  assert.equal(
    fake.requestCount,
    3,
    'the interrupted reply asked the model again, once; the queued one once',
  );

  // A clean stop keeps nothing half-done: a restart after it has nothing left to answer.
  assert.equal(await restarted.stop('SIGTERM'), 0);
  const again = spawnGateway(env, 'embedded-again');
  processes.push(again);
  await again.started;
  await waitFor('the restarted gateway to settle', async () =>
    (await metric(slot.port, 'clawchat_queue_depth')) === 0 ? true : undefined,
  );
  assert.equal(fake.requestCount, 3, 'nothing answered twice');
});
