// `mode: sync` (an ordinary bot account with an access token, for homeservers whose admin you are
// not), on embedded defaults with the demo provider, run as a real process; and graceful shutdown:
// SIGTERM mid-reply lets the reply finish, then the process exits cleanly.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { getTestHomeserver, type RegisteredUser, type TestHomeserver } from '@clawchat/local-synapse/harness';
import { type GatewayProcess, spawnGateway } from './support/gateway-process.ts';
import { TestUser } from './support/matrix-user.ts';

let hs: TestHomeserver;
let botAccount: RegisteredUser;
let gateway: GatewayProcess;

const syncEnv = () => ({
  GATEWAY_MODE: 'sync',
  MATRIX_HOMESERVER_URL: hs.baseUrl,
  MATRIX_SERVER_NAME: hs.serverName,
  MATRIX_ACCESS_TOKEN: botAccount.accessToken,
  GATEWAY_PORT: '0',
  EDIT_INTERVAL_MS: '100',
  SHUTDOWN_GRACE_MS: '60000',
});

before(async () => {
  hs = await getTestHomeserver();
  botAccount = await hs.registerUser();
  gateway = spawnGateway(syncEnv(), 'sync-gateway');
  await gateway.started;
});

after(async () => {
  await gateway?.stop('SIGKILL');
});

let alice: TestUser;
let room: string;

test('sync mode with the demo provider: an invite is accepted and a message answered', async () => {
  alice = await TestUser.create(hs);
  room = await alice.dmWith(botAccount.userId);
  const source = await alice.sendText(room, 'Hello demo');
  const reply = await alice.finalReply(room, source, botAccount.userId);
  assert.equal(reply.state, 'done');
  assert.match(reply.body, /demo provider/);
  assert.ok(reply.edits.length >= 1);

  // Graceful shutdown: SIGTERM while a reply streams; the reply still ends `done`, the exit is clean.
  const second = await alice.sendText(room, 'And again');
  await alice.firstReply(room, second, botAccount.userId);
  const code = await gateway.stop('SIGTERM');
  assert.equal(code, 0);
  const finished = await alice.finalReply(room, second, botAccount.userId, 10_000);
  assert.equal(finished.state, 'done');
  assert.match(finished.body, /demo provider/);
});

test('after a restart, sync mode answers what came while it was down, and nothing twice', async () => {
  const whileDown = await alice.sendText(room, 'Are you back?');
  gateway = spawnGateway(syncEnv(), 'sync-gateway-restarted');
  await gateway.started;
  const reply = await alice.finalReply(room, whileDown, botAccount.userId);
  assert.equal(reply.state, 'done');
  const next = await alice.sendText(room, 'Good');
  await alice.finalReply(room, next, botAccount.userId);
  const timeline = await alice.timeline(room);
  const answers = timeline.filter(
    (e) =>
      e.sender === botAccount.userId &&
      e.type === 'm.room.message' &&
      (e.content['m.relates_to'] as { rel_type?: string } | undefined)?.rel_type !== 'm.replace',
  );
  assert.equal(answers.length, 4, 'four messages, four answers');
});
