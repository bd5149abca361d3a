// Two gateway processes on one Redis: 200 conversations at once, every message answered exactly once,
// each room's replies in order, and one edit budget shared by both. The homeserver pushes to one process (the appservice slot's port); jobs
// are shared with the other through the Redis queue.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RecordedRequest } from './fakes/index.ts';
import { gatewayEnv } from './support/gateway-env.ts';
import { spawnGateway } from './support/gateway-process.ts';
import { TestUser } from './support/matrix-user.ts';
import { metric } from './support/metrics.ts';
import { mapLimit } from './support/pool.ts';
import { sharedRedisSlot, useRedisGateways } from './support/redis-gateways.ts';
import { waitFor } from './support/wait.ts';

const USERS = 20;
const ROOMS_PER_USER = 10;

const answer = (request: RecordedRequest) => `Answer to ${request.messages.at(-1)?.content}: done.`;

const gateways = useRedisGateways({ reply: answer, tokensPerSecond: 40 });

test('two processes on one Redis answer 200 conversations exactly once, in order, on one edit budget', {
  timeout: 600_000,
}, async () => {
  const { hs, fake, processes } = gateways;
  const { slot, common } = sharedRedisSlot(gateways);
  const extra = { RATE_LIMIT_CAPACITY: '1000', EDIT_BUDGET_PER_SECOND: '100', LOG_LEVEL: 'info' };
  const receiver = spawnGateway(gatewayEnv({ ...common, extra }), 'receiver');
  const worker = spawnGateway(gatewayEnv({ ...common, port: 0, extra }), 'worker');
  processes.push(receiver, worker);
  await Promise.all([receiver.started, worker.started]);
  const workerPort = Number(worker.logs.find((l) => l.msg === 'gateway started')!.port);

  const users = await mapLimit(Array.from({ length: USERS }), 5, () => TestUser.create(hs));
  const rooms = await mapLimit(
    Array.from({ length: USERS * ROOMS_PER_USER }, (_, i) => users[i % USERS]!),
    10,
    async (user) => {
      const { room_id } = await user.client.createRoom({
        invite: [slot.botUserId],
        is_direct: true,
        preset: 'trusted_private_chat' as never,
      });
      return { user, roomId: room_id };
    },
  );
  await mapLimit(rooms, 10, ({ user, roomId }) => user.waitForMember(roomId, slot.botUserId, 300_000));

  // Two messages per room, back to back: the second must wait for the first reply.
  const sent = await mapLimit(rooms, 20, async ({ user, roomId }, i) => {
    const first = await user.sendText(roomId, `first message of room ${i}`);
    const second = await user.sendText(roomId, `second message of room ${i}`);
    return { user, roomId, i, first, second };
  });

  await mapLimit(sent, 10, async ({ user, roomId, i, first, second }) => {
    const [a, b] = await waitFor(
      `both replies in room ${i}`,
      async () => {
        const a = await user.repliesTo(roomId, first, slot.botUserId);
        const b = await user.repliesTo(roomId, second, slot.botUserId);
        return a[0]?.state === 'done' && b[0]?.state === 'done' ? [a, b] : undefined;
      },
      { timeoutMs: 400_000, intervalMs: 500 },
    );
    assert.equal(a.length, 1, `room ${i}: the first message was answered ${a.length} times`);
    assert.equal(b.length, 1, `room ${i}: the second message was answered ${b.length} times`);
    assert.equal(a[0]!.body, `Answer to first message of room ${i}: done.`);
    assert.equal(b[0]!.body, `Answer to second message of room ${i}: done.`);
    assert.ok(
      a[0]!.reply.origin_server_ts <= b[0]!.reply.origin_server_ts,
      `room ${i}: replies out of order`,
    );
  });

  // Order seen by the model: the second request of each room came with the first exchange as history.
  for (const { i } of sent) {
    const second = fake.requests.filter((r) => r.messages.at(-1)?.content === `second message of room ${i}`);
    assert.equal(second.length, 1, `room ${i}: the second message reached the model ${second.length} times`);
    assert.deepEqual(
      second[0]!.messages.map((m) => m.content),
      [
        `first message of room ${i}`,
        `Answer to first message of room ${i}: done.`,
        `second message of room ${i}`,
      ],
    );
  }
  assert.equal(fake.requests.length, 2 * USERS * ROOMS_PER_USER);

  const byReceiver = await metric(slot.port, 'clawchat_replies_total');
  const byWorker = await metric(workerPort, 'clawchat_replies_total');
  console.log(`replies by the receiving process: ${byReceiver}, by the worker-only process: ${byWorker}`);
  assert.equal(byReceiver + byWorker, 2 * USERS * ROOMS_PER_USER);
  assert.ok(byReceiver > 0 && byWorker > 0, 'both processes answered');

  // One edit budget for the deployment, not one per process: idle, each holds half of it.
  const shares = await waitFor(
    'the two processes to share the edit budget',
    async () => {
      const both = [
        await metric(slot.port, 'clawchat_edit_budget_share'),
        await metric(workerPort, 'clawchat_edit_budget_share'),
      ];
      return both.every((share) => share === 50) ? both : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  assert.deepEqual(shares, [50, 50]);
});
