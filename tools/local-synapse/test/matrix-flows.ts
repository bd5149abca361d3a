// The Matrix flows every homeserver configuration must pass, driven with the real matrix-js-sdk.
// Run against the run's SQLite homeserver and against one on PostgreSQL.
import '@clawchat/common/polyfills';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  ClientEvent,
  createClient,
  EventType,
  type MatrixClient,
  type MatrixEvent,
  MsgType,
  RelationType,
  type Room,
  RoomEvent,
  RoomMemberEvent,
} from 'matrix-js-sdk';
import type { RegisteredUser } from '../src/admin/register.ts';
import { startAndSync } from '../src/harness/matrix-client.ts';

export interface FlowHomeserver {
  baseUrl: string;
  registerUser(options?: { admin?: boolean }): Promise<RegisteredUser>;
  createClient(user: RegisteredUser): MatrixClient;
}

/**
 * Resolves with the first value `check` returns that is not undefined, re-checking on each `event`
 * and every 100 ms (the SDK does not emit every kind of change as the event one would expect).
 */
export function waitFor<T>(
  client: MatrixClient,
  event: string,
  check: () => T | undefined,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  // The SDK's typed emitter knows each event's listener type; this helper listens to several kinds.
  const emitter = client as unknown as {
    on(event: string, listener: () => void): void;
    off(event: string, listener: () => void): void;
  };
  return new Promise((resolvePromise, reject) => {
    const finish = () => {
      clearTimeout(timer);
      clearInterval(poll);
      emitter.off(event, attempt);
    };
    const attempt = () => {
      const value = check();
      if (value !== undefined) {
        finish();
        resolvePromise(value);
      }
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const poll = setInterval(attempt, 100);
    emitter.on(event, attempt);
    attempt();
  });
}

function textEvents(room: Room | null): MatrixEvent[] {
  return (room?.getLiveTimeline().getEvents() ?? []).filter(
    (event) => event.getType() === EventType.RoomMessage && !event.isRelation(RelationType.Replace),
  );
}

export async function runMatrixFlows(hs: FlowHomeserver): Promise<void> {
  // Registration through the client API (as the app does), then a password log-in.
  const username = `reg-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  const anonymous = createClient({ baseUrl: hs.baseUrl });
  const registered = await anonymous.registerRequest({ username, password, auth: { type: 'm.login.dummy' } });
  assert.match(registered.user_id, new RegExp(`^@${username}:`));
  const login = await anonymous.loginRequest({
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: username },
    password,
  });
  assert.equal(login.user_id, registered.user_id);
  const wrong = await anonymous
    .loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: username },
      password: 'wrong',
    })
    .catch((error: { errcode?: string }) => error);
  assert.equal((wrong as { errcode?: string }).errcode, 'M_FORBIDDEN');

  const aliceUser = await hs.registerUser();
  const bobUser = await hs.registerUser();
  const alice = hs.createClient(aliceUser);
  const bob = hs.createClient(bobUser);
  try {
    await Promise.all([startAndSync(alice), startAndSync(bob)]);

    // A direct room: alice creates it and invites bob, bob sees the invite over sync and joins.
    const { room_id: roomId } = await alice.createRoom({
      is_direct: true,
      invite: [bobUser.userId],
      preset: 'trusted_private_chat' as never,
    });
    await waitFor(
      bob,
      RoomMemberEvent.Membership,
      () => (bob.getRoom(roomId)?.getMyMembership() === 'invite' ? true : undefined),
      'the invite',
    );
    await bob.joinRoom(roomId);
    await waitFor(
      alice,
      RoomMemberEvent.Membership,
      () => (alice.getRoom(roomId)?.getMember(bobUser.userId)?.membership === 'join' ? true : undefined),
      'bob to join',
    );

    // Send and receive through sync.
    await alice.sendTextMessage(roomId, 'hello bob');
    const received = await waitFor(
      bob,
      RoomEvent.Timeline,
      () => textEvents(bob.getRoom(roomId)).find((e) => e.getContent().body === 'hello bob'),
      'the message',
    );
    assert.equal(received.getSender(), aliceUser.userId);

    // Typing.
    await alice.sendTyping(roomId, true, 10_000);
    await waitFor(
      bob,
      RoomMemberEvent.Typing,
      () => (bob.getRoom(roomId)?.getMember(aliceUser.userId)?.typing ? true : undefined),
      'the typing notice',
    );
    await alice.sendTyping(roomId, false, 0);

    // An edit (m.replace) is seen as the replaced content.
    const { event_id: originalId } = await alice.sendTextMessage(roomId, 'first draft');
    await alice.sendMessage(roomId, {
      msgtype: MsgType.Text,
      body: '* final text',
      'm.new_content': { msgtype: MsgType.Text, body: 'final text' },
      'm.relates_to': { rel_type: RelationType.Replace, event_id: originalId },
    } as never);
    const edited = await waitFor(
      bob,
      RoomEvent.Timeline,
      () => {
        const original = bob.getRoom(roomId)?.findEventById(originalId);
        return original?.replacingEvent() ? original : undefined;
      },
      'the edit',
    );
    assert.equal(edited.getContent().body, 'final text');

    // A redaction.
    const { event_id: doomedId } = await alice.sendTextMessage(roomId, 'to be removed');
    await waitFor(
      bob,
      RoomEvent.Timeline,
      () => bob.getRoom(roomId)?.findEventById(doomedId),
      'the doomed message',
    );
    await alice.redactEvent(roomId, doomedId);
    await waitFor(
      bob,
      RoomEvent.Redaction,
      () => (bob.getRoom(roomId)?.findEventById(doomedId)?.isRedacted() ? true : undefined),
      'the redaction',
    );

    // History: 30 more messages, then a fresh client of bob's with a short initial sync paginates back.
    for (let i = 0; i < 30; i += 1) await alice.sendTextMessage(roomId, `history ${i}`);
    // A second device of bob's (a fresh log-in), as when the app starts on another phone.
    const secondLogin = await anonymous.loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: bobUser.userId },
      password: bobUser.password,
    });
    const bobAgain = hs.createClient({
      ...bobUser,
      accessToken: secondLogin.access_token,
      deviceId: secondLogin.device_id,
    });
    try {
      await startAndSync(bobAgain);
      const room = await waitFor(
        bobAgain,
        ClientEvent.Room,
        () => bobAgain.getRoom(roomId) ?? undefined,
        'the room',
      );
      for (
        let page = 0;
        page < 10 && !textEvents(room).some((e) => e.getContent().body === 'history 0');
        page += 1
      ) {
        await bobAgain.scrollback(room, 20);
      }
      const bodies = textEvents(room).map((e) => e.getContent().body as string | undefined);
      const history = bodies.filter((body) => body?.startsWith('history '));
      assert.deepEqual(
        history,
        Array.from({ length: 30 }, (_, i) => `history ${i}`),
        `history comes back whole and in order; the timeline holds: ${JSON.stringify(bodies)}`,
      );
      assert.ok(bodies.includes('hello bob'), 'pagination reaches the first messages');
    } finally {
      bobAgain.stopClient();
    }

    // A non-member cannot send into the room.
    const carol = hs.createClient(await hs.registerUser());
    const refused = await carol
      .sendTextMessage(roomId, 'let me in')
      .catch((error: { errcode?: string }) => error);
    assert.equal((refused as { errcode?: string }).errcode, 'M_FORBIDDEN');
  } finally {
    alice.stopClient();
    bob.stopClient();
  }
}
