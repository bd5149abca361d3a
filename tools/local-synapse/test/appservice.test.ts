// An application-service registration written by the harness is loaded by Synapse: transactions reach
// a listener on loopback with the hs_token, and the as_token registers and masquerades namespace users.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { getTestHomeserver, type TestHomeserver } from '../src/harness/index.ts';
import type { AppserviceSlot } from '../src/harness/slots.ts';

interface Received {
  txnId: string;
  authorization: string | undefined;
  events: Array<{
    type: string;
    room_id: string;
    sender: string;
    content: Record<string, unknown>;
    state_key?: string;
  }>;
}

async function body(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text;
}

describe('application service', () => {
  let hs: TestHomeserver;
  let slot: AppserviceSlot;
  let server: Server;
  const received: Received[] = [];
  const waiters: Array<() => void> = [];

  before(async () => {
    hs = await getTestHomeserver();
    slot = hs.claimAppservice();
    server = createServer(async (request, response) => {
      const match = request.url?.match(/^\/_matrix\/app\/v1\/transactions\/([^/?]+)/);
      if (request.method === 'PUT' && match?.[1]) {
        const parsed = JSON.parse(await body(request)) as { events: Received['events'] };
        received.push({
          txnId: match[1],
          authorization: request.headers.authorization,
          events: parsed.events,
        });
        for (const wake of waiters.splice(0)) wake();
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolvePromise) => server.listen(slot.port, '127.0.0.1', resolvePromise));
  });

  after(() => new Promise<void>((resolvePromise) => server.close(() => resolvePromise())));

  async function eventMatching(predicate: (event: Received['events'][number]) => boolean, what: string) {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      for (const txn of received) {
        const event = txn.events.find(predicate);
        if (event) return { txn, event };
      }
      await new Promise<void>((resolvePromise) => {
        waiters.push(resolvePromise);
        setTimeout(resolvePromise, 500);
      });
    }
    throw new Error(`no transaction brought ${what}`);
  }

  async function clientApi(
    path: string,
    init: { method: string; body?: unknown; token: string; userId?: string },
  ) {
    const url = new URL(path, hs.baseUrl);
    if (init.userId) url.searchParams.set('user_id', init.userId);
    const response = await fetch(url, {
      method: init.method,
      headers: { authorization: `Bearer ${init.token}`, 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  test('Synapse pushes events of rooms the bot is in, with the hs_token', async () => {
    const { user, client } = await hs.createSyncedUser();
    const { room_id: roomId } = await client.createRoom({ invite: [slot.botUserId], is_direct: true });
    const { txn, event } = await eventMatching(
      (e) => e.type === 'm.room.member' && e.state_key === slot.botUserId && e.room_id === roomId,
      'the invite of the bot',
    );
    assert.equal(txn.authorization, `Bearer ${slot.hsToken}`);
    assert.equal(event.sender, user.userId);
    assert.equal(event.content.membership, 'invite');

    // The bot (the sender_localpart user) acts with the as_token alone.
    const join = await clientApi(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`, {
      method: 'POST',
      body: {},
      token: slot.asToken,
    });
    assert.equal(join.status, 200, JSON.stringify(join.json));
    await client.sendTextMessage(roomId, 'hello bot');
    await eventMatching((e) => e.type === 'm.room.message' && e.content.body === 'hello bot', 'the message');
    client.stopClient();
  });

  test('the as_token registers a user in the namespace and masquerades as it; outside the namespace it is refused', async () => {
    const localpart = `${slot.userPrefix}alice`;
    const registered = await clientApi('/_matrix/client/v3/register', {
      method: 'POST',
      body: { type: 'm.login.application_service', username: localpart, inhibit_login: true },
      token: slot.asToken,
    });
    assert.equal(registered.status, 200, JSON.stringify(registered.json));
    const userId = `@${localpart}:${hs.serverName}`;
    assert.equal(registered.json.user_id, userId);

    const created = await clientApi('/_matrix/client/v3/createRoom', {
      method: 'POST',
      body: { name: 'made by a virtual user' },
      token: slot.asToken,
      userId,
    });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    const whoami = await clientApi('/_matrix/client/v3/account/whoami', {
      method: 'GET',
      token: slot.asToken,
      userId,
    });
    assert.equal(whoami.json.user_id, userId);

    const outside = await clientApi('/_matrix/client/v3/account/whoami', {
      method: 'GET',
      token: slot.asToken,
      userId: `@someone-else:${hs.serverName}`,
    });
    assert.equal(outside.status, 403);
    assert.equal(outside.json.errcode, 'M_FORBIDDEN');
  });

  test('a slot is handed out once per run', () => {
    const other = hs.claimAppservice();
    assert.notEqual(other.id, slot.id);
    assert.notEqual(other.port, slot.port);
  });
});
