// The Application Service API as the homeserver uses it: authentication, transactions (validated against
// the Matrix spec's own schema), re-sent transactions, malformed bodies, ping and queries; and the
// per-user rate limit with its polite notice. Real Synapse, real gateway, fake Anthropic.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { AppserviceSlot, TestHomeserver } from '@clawchat/local-synapse/harness';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import type { Gateway } from '../src/gateway.ts';
import { transactionSchema } from '../src/matrix/events.ts';
import type { FakeLlmServer } from './fakes/index.ts';
import { useInProcessGateway } from './support/in-process-suite.ts';
import { TestUser } from './support/matrix-user.ts';

// Vendored from matrix-org/matrix-spec (fixtures/matrix-spec/README.md says which commit).
const SPEC = fileURLToPath(
  new URL('./fixtures/matrix-spec/data/api/application-service/transactions.yaml', import.meta.url),
);

async function specTransactionValidator() {
  // The spec's YAML has flow mappings that the parser's strict YAML loader rejects: read it with `yaml`.
  const yamlParser = {
    order: 1,
    canParse: /\.ya?ml$/i,
    parse: (file: { data: Buffer | string }) => parseYaml(file.data.toString()),
  };
  const api = (await SwaggerParser.dereference(SPEC, {
    parse: { yaml: yamlParser },
  } as never)) as unknown as {
    paths: Record<
      string,
      { put: { requestBody: { content: Record<string, { schema: Record<string, unknown> }> } } }
    >;
  };
  const schema = api.paths['/transactions/{txnId}']!.put.requestBody.content['application/json']!.schema;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  for (const format of [
    'mx-user-id',
    'mx-room-id',
    'mx-event-id',
    'mx-server-name',
    'mx-mxc-uri',
    'mx-room-alias',
  ]) {
    ajv.addFormat(format, true);
  }
  return { validate: ajv.compile(schema), example: schema.example as Record<string, unknown> };
}

describe('application-service API', () => {
  let hs: TestHomeserver;
  let slot: AppserviceSlot;
  let fake: FakeLlmServer;
  let gateway: Gateway;
  let alice: TestUser;
  let room: string;

  const suite = useInProcessGateway({
    fake: { reply: 'Fine, thanks.' },
    extra: { RATE_LIMIT_CAPACITY: '2', RATE_LIMIT_REFILL_PER_SECOND: '0.001' },
  });

  before(async () => {
    ({ hs, slot, fake, gateway } = suite);
    alice = await TestUser.create(hs);
    room = await alice.dmWith(slot.botUserId);
  });

  const put = (
    txnId: string,
    body: unknown,
    token: string | null = slot.hsToken,
    path = '/_matrix/app/v1/transactions/',
  ) =>
    gateway.http.inject({
      method: 'PUT',
      url: `${path}${txnId}`,
      headers: {
        'content-type': 'application/json',
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });

  const message = (eventId: string, body: string) => ({
    type: 'm.room.message',
    event_id: eventId,
    room_id: room,
    sender: alice.userId,
    origin_server_ts: Date.now(),
    content: { msgtype: 'm.text', body },
  });

  test('a wrong hs_token gets 403 M_FORBIDDEN, a missing one 401 M_UNAUTHORIZED', async () => {
    const wrong = await put('t-wrong', { events: [] }, 'not-the-token');
    assert.equal(wrong.statusCode, 403);
    assert.equal(wrong.json().errcode, 'M_FORBIDDEN');
    const missing = await put('t-missing', { events: [] }, null);
    assert.equal(missing.statusCode, 401);
    assert.equal(missing.json().errcode, 'M_UNAUTHORIZED');
    const legacy = await gateway.http.inject({
      method: 'PUT',
      url: `/transactions/t-legacy?access_token=${encodeURIComponent(slot.hsToken)}`,
      payload: { events: [] },
    });
    assert.equal(legacy.statusCode, 200);
  });

  test('malformed bodies get 400 naming what is wrong', async () => {
    const notArray = await put('t-bad-1', { events: 'nope' });
    assert.equal(notArray.statusCode, 400);
    assert.equal(notArray.json().errcode, 'M_BAD_JSON');
    assert.match(notArray.json().error, /events/);
    const noEvents = await put('t-bad-2', {});
    assert.equal(noEvents.statusCode, 400);
    assert.match(noEvents.json().error, /events/);
    const notJson = await gateway.http.inject({
      method: 'PUT',
      url: '/_matrix/app/v1/transactions/t-bad-3',
      headers: { authorization: `Bearer ${slot.hsToken}`, 'content-type': 'application/json' },
      payload: '{"events": [',
    });
    assert.equal(notJson.statusCode, 400);
    assert.equal(notJson.json().errcode, 'M_NOT_JSON');
  });

  test("the transactions we accept are the spec's, and the spec's example is accepted", async () => {
    const { validate, example } = await specTransactionValidator();
    const ours = { events: [message('$spec-check', 'hello')] };
    assert.ok(validate(ours), JSON.stringify(validate.errors));
    assert.ok(validate(example), JSON.stringify(validate.errors));
    assert.ok(transactionSchema.safeParse(example).success);
    const res = await put('t-spec-example', example);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {});
  });

  test('a re-sent transaction is a no-op: one answer', async () => {
    const before = fake.requestCount;
    const txn = { events: [message('$resent-event-1', 'Hello, how are you?')] };
    assert.equal((await put('t-resent', txn)).statusCode, 200);
    assert.equal((await put('t-resent', txn)).statusCode, 200);
    // The same event in another transaction is queued once too.
    assert.equal((await put('t-resent-other', txn)).statusCode, 200);
    const reply = await alice.finalReply(room, '$resent-event-1', slot.botUserId);
    assert.equal(reply.body, 'Fine, thanks.');
    // A later message is answered after it (room order), so by then a duplicate would have been too.
    const later = await alice.sendText(room, '!help');
    await alice.finalReply(room, later, slot.botUserId);
    assert.equal((await alice.repliesTo(room, '$resent-event-1', slot.botUserId)).length, 1);
    assert.equal(fake.requestCount, before + 1);
  });

  test('ping, user and alias queries', async () => {
    const auth = { authorization: `Bearer ${slot.hsToken}` };
    const ping = await gateway.http.inject({
      method: 'POST',
      url: '/_matrix/app/v1/ping',
      headers: auth,
      payload: { transaction_id: 'x' },
    });
    assert.equal(ping.statusCode, 200);
    const bot = await gateway.http.inject({
      method: 'GET',
      url: `/_matrix/app/v1/users/${encodeURIComponent(slot.botUserId)}`,
      headers: auth,
    });
    assert.equal(bot.statusCode, 200);
    const other = await gateway.http.inject({
      method: 'GET',
      url: '/_matrix/app/v1/users/%40someone%3Alocalhost',
      headers: auth,
    });
    assert.equal(other.statusCode, 404);
    assert.equal(other.json().errcode, 'M_NOT_FOUND');
    const alias = await gateway.http.inject({
      method: 'GET',
      url: '/_matrix/app/v1/rooms/%23room%3Alocalhost',
      headers: auth,
    });
    assert.equal(alias.statusCode, 404);
  });

  test('health, readiness and metrics', async () => {
    assert.equal((await gateway.http.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    const ready = await gateway.http.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200, ready.body);
    assert.deepEqual(ready.json().checks, { homeserver: 'ok', state: 'ok' });
    const metrics = (await gateway.http.inject({ method: 'GET', url: '/metrics' })).body;
    for (const name of [
      'clawchat_queue_depth',
      'clawchat_replies_in_progress',
      'clawchat_llm_time_to_first_token_seconds',
      'clawchat_llm_tokens_per_second',
      'clawchat_edits_sent_total',
      'clawchat_llm_errors_total',
      'clawchat_rate_limit_rejections_total',
      'clawchat_transactions_received_total',
    ]) {
      assert.ok(metrics.includes(name), `metric ${name}`);
    }
    // Typing notifications and read receipts went out and were accepted.
    assert.match(metrics, /clawchat_homeserver_requests_total\{endpoint="typing",outcome="ok"\} [1-9]/);
    assert.match(metrics, /clawchat_homeserver_requests_total\{endpoint="receipt",outcome="ok"\} [1-9]/);
    assert.doesNotMatch(metrics, /endpoint="(receipt|typing|send)",outcome="4\d\d"/);
    // The event loops' busy time: the main thread's, and the LLM stream thread's (one by default).
    assert.match(metrics, /clawchat_event_loop_busy_seconds_total\{thread="main"\} (0\.\d*[1-9]|[1-9])/);
    assert.match(
      metrics,
      /clawchat_event_loop_busy_seconds_total\{thread="llm-stream"\} (0\.\d*[1-9]|[1-9])/,
    );
  });

  test('a user over the rate limit gets a polite notice, not silence', async () => {
    // The bucket holds 2 and barely refills; the re-sent-transaction test used one.
    const bob = await TestUser.create(hs);
    const bobRoom = await bob.dmWith(slot.botUserId);
    const one = await bob.sendText(bobRoom, 'one');
    const two = await bob.sendText(bobRoom, 'two');
    const three = await bob.sendText(bobRoom, 'three');
    assert.equal((await bob.finalReply(bobRoom, one, slot.botUserId)).state, 'done');
    assert.equal((await bob.finalReply(bobRoom, two, slot.botUserId)).state, 'done');
    const refusal = await bob.finalReply(bobRoom, three, slot.botUserId);
    assert.equal(refusal.latest.msgtype, 'm.notice');
    assert.match(refusal.body, /faster than I can answer/);
    const metrics = (await gateway.http.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /clawchat_rate_limit_rejections_total 1/);
  });
});
