// The client wrapper (lib/matrix/client.ts) against the run's real Synapse with the real SDK: sign
// up and in, a direct chat with a "bot" (a second real user playing the gateway's part), local
// echo, a streamed reply through m.replace edits, a redacted edit, hidden commands, a failed send.
import '@clawchat/common/polyfills';
import '../support/unref-request-timers.ts';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { getTestHomeserver, type TestHomeserver, uniqueLocalpart } from '@clawchat/local-synapse/harness';
import loglevel from 'loglevel';
import { ChatClient, type ClientListener, login, type RoomMeta, register } from '../../lib/matrix/client.ts';
import { FriendlyError } from '../../lib/matrix/errors.ts';
import type { Session, TimelineEvent } from '../../lib/matrix/types.ts';
import { applyEvents, emptyTimeline, lastMessage, unreadCount } from '../../lib/timeline/reducer.ts';
import type { RoomTimeline } from '../../lib/timeline/types.ts';
import { type BotUser, botUser } from '../support/bot-user.ts';
import { cutOff, requestsUnderWay } from '../support/network.ts';

// The SDK logs each sync step; a failing test prints what matters without it.
loglevel.setLevel('silent');
for (const child of Object.values(loglevel.getLoggers())) child.setLevel('silent');

let hs: TestHomeserver;
let bot: BotUser;
let botUserId: string;
let botSession: Session;
let session: Session;
let chat: ChatClient;
const password = randomBytes(9).toString('base64url');
const username = uniqueLocalpart('app');

/** What the listener has been told, and a way to wait for a condition on it (bounded). */
const seen = {
  events: new Map<string, TimelineEvent[]>(),
  rooms: new Set<string>(),
  metas: new Map<string, RoomMeta>(),
  /** Each room's timeline as the store keeps it: live events in front, paged ones behind, reset on a gap. */
  shown: new Map<string, RoomTimeline>(),
  resets: new Set<string>(),
  typing: new Map<string, string[]>(),
  connection: 'idle',
};
const waiters: (() => void)[] = [];
const listener: ClientListener = {
  onConnection: (state) => {
    seen.connection = state;
    notify();
  },
  onRoom: (meta) => {
    seen.rooms.add(meta.roomId);
    seen.metas.set(meta.roomId, meta);
    notify();
  },
  onRoomRemoved: (roomId) => {
    seen.rooms.delete(roomId);
    notify();
  },
  onEvents: (roomId, events, direction) => {
    seen.events.set(roomId, [...(seen.events.get(roomId) ?? []), ...events]);
    const shown = seen.shown.get(roomId) ?? emptyTimeline();
    seen.shown.set(roomId, applyEvents(shown, events, { myUserId: session.userId, direction }));
    notify();
  },
  onTimelineReset: (roomId) => {
    seen.resets.add(roomId);
    seen.shown.set(roomId, emptyTimeline());
    notify();
  },
  onTyping: (roomId, userIds) => {
    seen.typing.set(roomId, userIds);
    notify();
  },
  onSessionEnded: () => undefined,
};

function notify() {
  for (const wake of waiters.splice(0)) wake();
}

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(left, 1000));
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function shownBodies(roomId: string): string[] {
  const t = seen.shown.get(roomId) ?? emptyTimeline();
  return t.shells.map((shell) => t.messages[shell._id]!.body);
}

/** A new direct chat with the bot, joined by it and listed. */
async function newChat(): Promise<string> {
  const id = await chat.createChat();
  await until('the new room to be listed', () => seen.rooms.has(id));
  await bot.join(id);
  return id;
}

/** Our rooms as the homeserver has them: joined, and left but not forgotten. */
async function roomsOnServer(): Promise<{ joined: string[]; left: string[] }> {
  const filter = JSON.stringify({ room: { include_leave: true, timeline: { limit: 1 } } });
  const response = await fetch(
    `${hs.baseUrl}/_matrix/client/v3/sync?timeout=0&filter=${encodeURIComponent(filter)}`,
    { headers: { Authorization: `Bearer ${session.accessToken}` } },
  );
  const body = (await response.json()) as { rooms?: { join?: object; leave?: object } };
  return { joined: Object.keys(body.rooms?.join ?? {}), left: Object.keys(body.rooms?.leave ?? {}) };
}

/** Waits for an event in the main room: any event sent before it has been synced by then. */
async function syncedUpTo(body: string): Promise<void> {
  const eventId = await bot.send(roomId, { msgtype: 'm.text', body });
  await until(`"${body}" to arrive`, () => seen.events.get(roomId)?.some((e) => e.eventId === eventId));
}

function timeline(roomId: string): RoomTimeline {
  return applyEvents(emptyTimeline(), seen.events.get(roomId) ?? [], { myUserId: session.userId });
}

before(async () => {
  hs = await getTestHomeserver();
  const registered = await hs.registerUser();
  botUserId = registered.userId;
  bot = botUser(hs.baseUrl, registered);
  const { userId, accessToken, deviceId } = registered;
  botSession = { homeserverUrl: hs.baseUrl, userId, accessToken, deviceId };
});

after(() => {
  chat?.stop();
});

test('registers with the dummy stage, and signs in (a wrong password gets a clear error)', async () => {
  const registered = await register({ homeserverUrl: hs.baseUrl, username, password });
  assert.match(registered.userId, new RegExp(`^@${username}:`));
  const wrong = await login({ homeserverUrl: hs.baseUrl, username, password: 'nope' }).catch(
    (e: unknown) => e,
  );
  assert.ok(wrong instanceof FriendlyError);
  assert.equal(wrong.code, 'wrong_password');
  const taken = await register({ homeserverUrl: hs.baseUrl, username, password }).catch((e: unknown) => e);
  assert.ok(taken instanceof FriendlyError);
  assert.equal(taken.code, 'user_in_use');
  session = await login({ homeserverUrl: hs.baseUrl, username, password });
  assert.equal(session.userId, registered.userId);
});

test('an unreachable homeserver is reported as such', async () => {
  const error = await login({ homeserverUrl: 'http://127.0.0.1:9', username, password }).catch(
    (e: unknown) => e,
  );
  assert.ok(error instanceof FriendlyError);
  assert.equal(error.code, 'unreachable');
});

let roomId: string;

test('starts, creates a direct chat with the bot and lists it', async () => {
  chat = new ChatClient(session, botUserId);
  await chat.start(listener);
  await until('the first sync', () => seen.connection === 'online');
  roomId = await chat.createChat();
  await until('the new room to be listed', () => seen.rooms.has(roomId));
  await bot.join(roomId);
});

test('sends with a local echo that becomes the sent event, under the same key', async () => {
  const txnId = chat.sendText(roomId, 'Hello bot');
  await Promise.resolve(); // Reported in the same tick's microtasks, batched with others.
  const first = seen.events.get(roomId)?.find((e) => e.txnId === txnId);
  assert.equal(first?.status, 'sending', 'the local echo is reported at once');
  const sent = await until('the remote echo', () => {
    const message = lastMessage(timeline(roomId));
    return message?.status === 'sent' && !message.eventId.startsWith('~') ? message : undefined;
  });
  assert.equal(sent.key, `~${txnId}`);
  assert.equal(sent.body, 'Hello bot');
  assert.equal(timeline(roomId).shells.length, 1);
});

test("grows the bot's reply through its m.replace edits, and a redacted edit falls back", async () => {
  const question = lastMessage(timeline(roomId))!.eventId;
  const stream = (state: string) => ({ 'org.clawchat.stream': { state } });
  const replyId = await bot.send(roomId, {
    msgtype: 'm.text',
    body: 'The',
    ...stream('streaming'),
    'm.relates_to': { 'm.in_reply_to': { event_id: question } },
  });
  const editTo = (body: string, state: string) =>
    bot.send(roomId, {
      msgtype: 'm.text',
      body: `* ${body}`,
      'm.new_content': { msgtype: 'm.text', body, ...stream(state) },
      'm.relates_to': { rel_type: 'm.replace', event_id: replyId },
    });
  await editTo('The answer', 'streaming');
  const lastEdit = await editTo('The answer is **42**.', 'done');

  const done = await until('the finished reply', () => {
    const message = lastMessage(timeline(roomId));
    return message?.stream === 'done' ? message : undefined;
  });
  assert.equal(done.body, 'The answer is **42**.');
  assert.equal(done.eventId, replyId);
  assert.equal(timeline(roomId).shells.length, 2, 'edits are not messages of their own');

  await bot.redact(roomId, lastEdit);
  const reverted = await until('the redaction', () => {
    const message = lastMessage(timeline(roomId));
    return message?.body === 'The answer' ? message : undefined;
  });
  assert.equal(reverted.stream, 'streaming');
});

/** Sends our receipt for the newest event and checks the chat then counts nothing unread. */
async function readAndCountUnread(): Promise<{ readUpTo: string; unread: number }> {
  await chat.markRead(roomId);
  const readUpTo = seen.metas.get(roomId)?.readUpTo ?? '';
  return { readUpTo, unread: unreadCount(timeline(roomId), session.userId, readUpTo) };
}

test('reading the chat leaves nothing unread when the newest events are an edit, a redaction or hidden', async () => {
  const reply = lastMessage(timeline(roomId))!;
  const afterReply = await readAndCountUnread();
  assert.notEqual(afterReply.readUpTo, reply.eventId, 'the receipt is on the newest event, not a message');
  assert.equal(afterReply.unread, 0);

  const stop = chat.sendCommand(roomId, '!stop');
  const command = await until('the remote echo of !stop', () =>
    seen.events.get(roomId)?.find((e) => e.txnId === stop && !e.eventId.startsWith('~')),
  );
  const notice = await bot.send(roomId, {
    msgtype: 'm.notice',
    body: 'Nothing is being written right now: nothing to stop.',
    'm.relates_to': { 'm.in_reply_to': { event_id: command.eventId } },
  });
  await until('the notice', () => seen.events.get(roomId)?.some((e) => e.eventId === notice));
  const afterNotice = await readAndCountUnread();
  assert.equal(afterNotice.readUpTo, notice);
  assert.equal(afterNotice.unread, 0);
});

test('sends !stop and !retry from buttons without showing them, nor the notice answering them', async () => {
  const before = timeline(roomId).shells.length;
  chat.sendCommand(roomId, '!stop');
  const stop = await until('the remote echo of !stop', () =>
    seen.events.get(roomId)?.find((e) => e.content.body === '!stop' && !e.eventId.startsWith('~')),
  );
  await bot.send(roomId, {
    msgtype: 'm.notice',
    body: 'Nothing is being written right now: nothing to stop.',
    'm.relates_to': { 'm.in_reply_to': { event_id: stop.eventId } },
  });
  await until('the notice', () => seen.events.get(roomId)?.some((e) => e.content.msgtype === 'm.notice'));
  assert.equal(timeline(roomId).shells.length, before);
});

test('a send the server refuses is marked failed, and can be retried', async () => {
  // A room the user is not in: the homeserver answers 403.
  const elsewhere = await bot.createRoom({});
  seen.events.set(elsewhere, []);
  const txnId = chat.sendText(elsewhere, 'not allowed here');
  await until('the failure', () => lastMessage(timeline(elsewhere))?.status === 'failed');
  chat.retry(elsewhere, txnId);
  await until(
    'the retry',
    () => seen.events.get(elsewhere)!.filter((e) => e.status === 'sending').length >= 2,
  );
  await until('the failure again', () => lastMessage(timeline(elsewhere))?.status === 'failed');
});

test('loads older history page by page (/messages)', async () => {
  for (let i = 0; i < 35; i += 1) await bot.send(roomId, { msgtype: 'm.text', body: `history ${i}` });
  await until('the history', () =>
    timeline(roomId).shells.some((s) => timeline(roomId).messages[s._id]?.body === 'history 34'),
  );
  // A second device starts with the newest 30 events only, then pages back.
  const fresh = new ChatClient(await login({ homeserverUrl: hs.baseUrl, username, password }), botUserId);
  const events: TimelineEvent[] = [];
  let ready = false;
  await fresh.start({
    ...listener,
    onConnection: (state) => {
      ready ||= state === 'online';
      notify();
    },
    onRoom: () => undefined,
    onEvents: (id, list, direction) => {
      if (id !== roomId) return;
      if (direction === 'backward') events.push(...list);
      else events.unshift(...list);
      notify();
    },
  });
  try {
    await until('the second device to sync', () => ready);
    const bodies = () => new Set(events.map((e) => e.content.body));
    assert.ok(!bodies().has('Hello bot'), 'the first page holds the newest events only');
    for (let page = 0; page < 5 && !bodies().has('Hello bot'); page += 1) await fresh.loadOlder(roomId);
    assert.ok(bodies().has('Hello bot'), 'older pages reach the first message');
  } finally {
    fresh.stop();
  }
});

/**
 * The bot sends `bodies` while the client's /sync requests fail, as offline (after a message that wakes
 * the long poll, so that the loop notices), then sync is let through again.
 */
async function sendWhileSyncIsAway(roomId: string, bodies: string[]): Promise<void> {
  const outage = cutOff(session.accessToken, /\/sync$/);
  await bot.send(roomId, { msgtype: 'm.text', body: 'wakes the long poll' });
  await until('the sync loop to notice', () => seen.connection === 'reconnecting');
  for (const body of bodies) await bot.send(roomId, { msgtype: 'm.text', body });
  outage.restore();
}

test('a burst the sync loop was away for (a streamed reply during a pause) comes whole, without a gap', async () => {
  const room = await newChat();
  await bot.send(room, { msgtype: 'm.text', body: 'before the pause' });
  await until('the first message', () => shownBodies(room).includes('before the pause'));
  // More than Synapse's default of 10 events a sync, fewer than the client's filter asks for.
  const burst = Array.from({ length: 15 }, (_, i) => `burst ${i}`);
  await sendWhileSyncIsAway(room, burst);
  await until('the burst', () => shownBodies(room).includes('burst 14'));
  assert.ok(!seen.resets.has(room), 'no timeline reset');
  assert.deepEqual(shownBodies(room), [...[...burst].reverse(), 'wakes the long poll', 'before the pause']);
});

test('a sync with a gap starts the room afresh, and paging back brings the gap in order', async () => {
  const gapRoom = await newChat();
  await bot.send(gapRoom, { msgtype: 'm.text', body: 'before the gap' });
  await until('the first message', () => shownBodies(gapRoom).includes('before the gap'));

  // More than a sync brings a room (30, the client's sync filter).
  const gap = Array.from({ length: 40 }, (_, i) => `gap ${i}`);
  await sendWhileSyncIsAway(gapRoom, gap);

  await until(
    'the timeline reset',
    () => seen.resets.has(gapRoom) && shownBodies(gapRoom).includes('gap 39'),
  );
  assert.ok(!shownBodies(gapRoom).includes('before the gap'), 'the events before the gap are dropped');
  for (let page = 0; page < 5 && !shownBodies(gapRoom).includes('before the gap'); page += 1) {
    await chat.loadOlder(gapRoom);
  }
  const newestFirst = [...gap].reverse();
  assert.deepEqual(shownBodies(gapRoom), [...newestFirst, 'wakes the long poll', 'before the gap']);
});

test('a device whose newest events are all edits of one long reply pages back until the reply shows', async () => {
  const longRoom = await newChat();
  const replyId = await bot.send(longRoom, {
    msgtype: 'm.text',
    body: 'Once',
    'org.clawchat.stream': { state: 'streaming' },
  });
  // More edits than the first sync returns (initialSyncLimit 30).
  for (let i = 1; i <= 40; i += 1) {
    await bot.send(longRoom, {
      msgtype: 'm.text',
      body: `* Once ${i}`,
      'm.new_content': {
        msgtype: 'm.text',
        body: `Once ${i}`,
        'org.clawchat.stream': { state: i === 40 ? 'done' : 'streaming' },
      },
      'm.relates_to': { rel_type: 'm.replace', event_id: replyId },
    });
  }
  // The store, as the app runs it (its client is made for the bot named in the app's config).
  process.env.EXPO_PUBLIC_BOT_USER_ID = botUserId;
  const { useChatStore } = await import('../../lib/store/chat.ts');
  const unsubscribe = useChatStore.subscribe(notify);
  try {
    await useChatStore.getState().start(await login({ homeserverUrl: hs.baseUrl, username, password }));
    const reply = await until('the reply on the fresh device', () => {
      const message = lastMessage(useChatStore.getState().timelines[longRoom]);
      return message?.body === 'Once 40' ? message : undefined;
    });
    assert.equal(reply.eventId, replyId);
    assert.equal(reply.stream, 'done');
  } finally {
    unsubscribe();
    useChatStore.getState().stop();
  }
});

test('a send lost to a blip the sync loop never saw goes out after the next sync, or ends with a retry', async () => {
  const blipRoom = await newChat();
  const status = (txnId: string) => seen.shown.get(blipRoom)?.messages[`~${txnId}`]?.status;
  const wakeTheSync = (body: string) => bot.send(blipRoom, { msgtype: 'm.text', body });

  // Sends fail while /sync goes on: the message waits, and goes out once a sync has gone through.
  const blip = cutOff(session.accessToken, /\/send\//);
  const first = chat.sendText(blipRoom, 'through a blip');
  await until('the failed send, still waiting', () => blip.failures() >= 1 && status(first) === 'sending');
  assert.equal(seen.connection, 'online');
  blip.restore();
  await wakeTheSync('a sync goes through');
  await until('the message sent', () => status(first) === 'sent');

  // Sends keep failing: after a few syncs it is shown failed, and Retry sends it.
  const outage = cutOff(session.accessToken, /\/send\//);
  const second = chat.sendText(blipRoom, 'into a long outage');
  await until('the failed send', () => outage.failures() >= 1);
  for (let i = 0; i < 10 && status(second) !== 'failed'; i += 1) {
    const before = outage.failures();
    await wakeTheSync(`sync ${i}`);
    await until(
      'another attempt, or the retry shown',
      () => outage.failures() > before || status(second) === 'failed',
    );
  }
  await until('the retry shown', () => status(second) === 'failed');
  outage.restore();
  chat.retry(blipRoom, second);
  await until('the message sent on retry', () => status(second) === 'sent');
});

test('pull to refresh tries again at once when the homeserver was lost, then reports every room again', async () => {
  const outage = cutOff(session.accessToken, /\/sync$/);
  await bot.send(roomId, { msgtype: 'm.text', body: 'wakes the long poll' });
  await until('the sync loop to notice', () => seen.connection === 'reconnecting');
  outage.restore();
  seen.metas.clear();
  await chat.refresh();
  assert.equal(seen.connection, 'online');
  assert.ok(seen.metas.has(roomId), 'the rooms are reported again');
});

test('the device losing its network shows at once, sends wait for it; back, the sync loop tries at once', async () => {
  let tell: ((online: boolean) => void) | undefined;
  let watching = false;
  const device = await login({ homeserverUrl: hs.baseUrl, username, password });
  const watched = new ChatClient(device, botUserId, {
    watchNetwork: (onChange) => {
      tell = onChange;
      watching = true;
      return () => {
        watching = false;
      };
    },
  });
  const states: string[] = [];
  const statuses = new Map<string, string>();
  await watched.start({
    ...listener,
    onConnection: (state) => {
      states.push(state);
      notify();
    },
    onEvents: (_roomId, events) => {
      for (const event of events) if (event.txnId) statuses.set(event.txnId, event.status);
      notify();
    },
    onRoom: () => undefined,
    onTyping: () => undefined,
  });
  try {
    await until('the watched device online', () => states.at(-1) === 'online');
    assert.ok(watching, 'the client watches the device network while it runs');

    // The network goes: said at once, and the long poll under way (it went out on the network that
    // is gone) is ended rather than left to hang until its timeout.
    const [longPoll] = await until('the long poll under way', () => {
      const syncs = requestsUnderWay(device.accessToken, /\/sync$/);
      return syncs.length > 0 ? syncs : undefined;
    });
    const outage = cutOff(device.accessToken, /\/(sync|send\/)/);
    tell!(false);
    assert.equal(states.at(-1), 'offline');
    assert.equal(longPoll?.aborted, true, 'the long poll is ended');
    const txnId = watched.sendText(roomId, 'written with no network');
    await until('the send to fail', () => outage.failures() >= 1);
    // The sync loop polls again and fails: still "no connection", not "reconnecting".
    const failed = outage.failures();
    await until('a failed sync', () => outage.failures() > failed);
    assert.equal(states.at(-1), 'offline');
    assert.equal(statuses.get(txnId), 'sending', 'the message waits for the network, not shown failed');

    // The network is back: the sync loop tries at once (not after its back-off), and the message goes.
    outage.restore();
    tell!(true);
    assert.equal(states.at(-1), 'reconnecting');
    await until('online again', () => states.at(-1) === 'online');
    await until('the waiting message sent', () => statuses.get(txnId) === 'sent');
  } finally {
    watched.stop();
  }
  assert.equal(watching, false, 'stopping the client stops watching');
});

test('typing: ours reaches the other side and stops, and theirs reaches us', async () => {
  // The other side runs the same client, with us in the bot's place.
  const botTyping = new Map<string, string[]>();
  let botOnline = false;
  const other = new ChatClient(botSession, session.userId);
  await other.start({
    ...listener,
    onConnection: (state) => {
      botOnline ||= state === 'online';
      notify();
    },
    onRoom: () => undefined,
    onEvents: () => undefined,
    onTimelineReset: () => undefined,
    onTyping: (id, userIds) => {
      botTyping.set(id, userIds);
      notify();
    },
  });
  try {
    await until('the other side to sync', () => botOnline);
    chat.setTyping(roomId, true);
    await until('our typing on the other side', () => botTyping.get(roomId)?.includes(session.userId));
    chat.setTyping(roomId, false);
    await until('our typing to stop', () => botTyping.get(roomId)?.length === 0);

    other.setTyping(roomId, true);
    await until('their typing here', () => seen.typing.get(roomId)?.includes(botUserId));
    other.setTyping(roomId, false);
    await until('their typing to stop', () => seen.typing.get(roomId)?.length === 0);
  } finally {
    other.stop();
  }
});

test('renames a conversation', async () => {
  await chat.renameChat(roomId, '  Space talk  ');
  await until('the new name', () => seen.metas.get(roomId)?.name === 'Space talk');
});

test('leaves a conversation: it is gone from the list and stays gone as the bot goes on', async () => {
  const leftRoom = await newChat();
  await chat.leaveChat(leftRoom);
  assert.ok(!seen.rooms.has(leftRoom));
  await bot.send(leftRoom, { msgtype: 'm.text', body: 'anyone there?' });
  await syncedUpTo('after the bot wrote to the room we left');
  assert.ok(!seen.rooms.has(leftRoom), 'a message in a room we left does not bring it back');
  const server = await roomsOnServer();
  assert.ok(!server.joined.includes(leftRoom));
  assert.ok(server.left.includes(leftRoom), 'left, not forgotten');
});

test('deletes a conversation: left and forgotten on the homeserver', async () => {
  const deletedRoom = await newChat();
  await chat.deleteChat(deletedRoom);
  assert.ok(!seen.rooms.has(deletedRoom));
  await syncedUpTo('after the delete');
  assert.ok(!seen.rooms.has(deletedRoom));
  const server = await roomsOnServer();
  assert.ok(!server.joined.includes(deletedRoom) && !server.left.includes(deletedRoom), 'forgotten');
});
