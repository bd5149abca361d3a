// A gateway process killed with SIGKILL mid-reply: after its lease runs out another process takes the
// job over and finishes the same reply message; the message is answered exactly once. The killed
// process was the one receiving transactions, so it is restarted on the slot's port (as an orchestrator
// would restart the pod).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gatewayEnv } from './support/gateway-env.ts';
import { type GatewayProcess, spawnGateway } from './support/gateway-process.ts';
import { TestUser } from './support/matrix-user.ts';
import { sharedRedisSlot, useRedisGateways } from './support/redis-gateways.ts';
import { waitFor } from './support/wait.ts';

const REPLY = Array.from({ length: 80 }, (_, i) => `token${i}`).join(' ');

const gateways = useRedisGateways({ reply: REPLY, tokensPerSecond: 20 });

test('a process killed mid-reply, or stopped without time to finish: another finishes the same reply, exactly once', {
  timeout: 300_000,
}, async () => {
  const { hs, fake, processes } = gateways;
  const { slot, common } = sharedRedisSlot(gateways);
  const first = spawnGateway(gatewayEnv(common), 'gateway-1');
  processes.push(first);
  await first.started;

  const alice = await TestUser.create(hs);
  const room = await alice.dmWith(slot.botUserId);
  const source = await alice.sendText(room, 'Count for me, slowly');
  const started = await alice.firstReply(room, source, slot.botUserId);
  assert.equal(started.state, 'streaming');
  await first.stop('SIGKILL');

  // The orchestrator restarts the receiver; a second process joins as a worker.
  const quickShutdown = { SHUTDOWN_GRACE_MS: '200' };
  const restarted = spawnGateway(gatewayEnv({ ...common, extra: quickShutdown }), 'gateway-1-restarted');
  const second = spawnGateway(gatewayEnv({ ...common, port: 0, extra: quickShutdown }), 'gateway-2');
  processes.push(restarted, second);
  await Promise.all([restarted.started, second.started]);

  const reply = await alice.finalReply(room, source, slot.botUserId, 120_000);
  assert.equal(reply.state, 'done');
  assert.equal(reply.body, REPLY);
  assert.equal(reply.reply.event_id, started.reply.event_id, 'the same reply message was finished');
  const replies = await alice.repliesTo(room, source, slot.botUserId);
  assert.equal(replies.length, 1, 'answered exactly once');
  assert.equal(fake.requestCount, 2, 'the taken-over job asked the model again, once');

  // The conversation goes on normally afterwards.
  const next = await alice.sendText(room, 'Thanks');
  assert.equal((await alice.finalReply(room, next, slot.botUserId, 120_000)).state, 'done');

  // SIGTERM on the process writing a reply, with a grace period too short to finish: the job is
  // handed back and the other process finishes the same message.
  const ports = new Map<GatewayProcess, number>([
    [restarted, slot.port],
    [second, Number(second.logs.find((l) => l.msg === 'gateway started')!.port)],
  ]);
  const handedBack = await alice.sendText(room, 'Count again');
  const streaming = await alice.firstReply(room, handedBack, slot.botUserId);
  const holder = await waitFor('the process writing it', async () => {
    for (const [proc, port] of ports) {
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      if (/^clawchat_replies_in_progress 1$/m.test(metrics)) return proc;
    }
    return undefined;
  });
  assert.equal(await holder.stop('SIGTERM'), 0, 'clean exit');
  if (holder === restarted) {
    const again = spawnGateway(gatewayEnv(common), 'gateway-1-restarted-again');
    processes.push(again);
    await again.started;
  }
  const finished = await alice.finalReply(room, handedBack, slot.botUserId, 120_000);
  assert.equal(finished.state, 'done');
  assert.equal(finished.body, REPLY);
  assert.equal(finished.reply.event_id, streaming.reply.event_id);
  assert.equal((await alice.repliesTo(room, handedBack, slot.botUserId)).length, 1);
});
