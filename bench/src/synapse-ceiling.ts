// The homeserver's ceiling on this machine: messages/s that many users in many rooms send through
// /send and that Synapse delivers to an application service (the gateway's position), and the latency
// from the start of the send to the delivery. On SQLite and on PostgreSQL.
// Two loads: a light one (few concurrent senders: the latency of an unloaded homeserver) and a heavy
// one (the throughput ceiling, where latency is mostly queueing). CPU of Synapse and of the rest of
// the machine is recorded, since this machine may be shared with other work.
//   tsx src/synapse-ceiling.ts [--seconds 15] [--users 40] [--rooms 80] [--concurrency 4,48] [--backend sqlite|postgres|both]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRegistration, renderRegistration } from '@clawchat/common/appservice-registration';
import {
  dropDatabase,
  ensureTestPostgres,
  freePort,
  LocalSynapse,
  parseDatabaseUrl,
  type RegisteredUser,
  testPostgresUrl,
} from '@clawchat/local-synapse';
import { ProcSampler } from './gateway/proc-sampler.ts';
import { writeResult } from './results.ts';
import { summarize } from './stats.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    users: { type: 'string', default: '40' },
    rooms: { type: 'string', default: '80' },
    concurrency: { type: 'string', default: '4,48' },
    backend: { type: 'string', default: 'both' },
  },
  strict: true,
});

function positive(name: string, raw: string | undefined): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a positive integer, got "${raw}"`);
  return value;
}
const seconds = positive('seconds', values.seconds);
const userCount = positive('users', values.users);
const roomCount = positive('rooms', values.rooms);
const concurrencies = (values.concurrency ?? '').split(',').map((level) => positive('concurrency', level));
if (!['sqlite', 'postgres', 'both'].includes(values.backend ?? ''))
  throw new Error('--backend must be sqlite, postgres or both');
const backends = values.backend === 'both' ? ['sqlite', 'postgres'] : [values.backend as string];

async function readBody(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text;
}

async function call(base: string, path: string, token: string, method: string, body?: unknown) {
  const response = await fetch(new URL(path, base), {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function measure(backend: string) {
  const dir = mkdtempSync(join(tmpdir(), 'clawchat-bench-synapse-'));
  const asPort = await freePort();
  const registration = createRegistration({
    id: 'bench',
    url: `http://127.0.0.1:${asPort}`,
    senderLocalpart: 'benchbot',
    serverName: 'localhost',
  });
  const registrationPath = join(dir, 'bench-as.yaml');
  writeFileSync(registrationPath, renderRegistration(registration));

  const sentAt = new Map<string, number>();
  const deliveries: number[] = [];
  let delivered = 0;
  const server = createServer(async (request, response) => {
    const text = await readBody(request);
    const now = performance.now();
    if (request.method === 'PUT' && request.url?.startsWith('/_matrix/app/v1/transactions/')) {
      const { events } = JSON.parse(text) as { events: Array<{ content?: { bench_id?: string } }> };
      for (const event of events) {
        const id = event.content?.bench_id;
        const started = id ? sentAt.get(id) : undefined;
        if (started !== undefined) {
          deliveries.push(now - started);
          delivered += 1;
          sentAt.delete(id as string);
        }
      }
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolvePromise) => server.listen(asPort, '127.0.0.1', resolvePromise));

  // The tests' PostgreSQL (CLAWCHAT_TEST_POSTGRES, by default this machine's, started if it is down).
  if (backend === 'postgres') await ensureTestPostgres();
  const databaseUrl =
    backend === 'postgres' ? testPostgresUrl(`clawchat_bench_${randomBytes(3).toString('hex')}`) : undefined;
  const synapse = await LocalSynapse.start({
    instanceDir: join(dir, 'synapse'),
    port: await freePort(),
    databaseUrl,
    appserviceFiles: [registrationPath],
    extra: { bcrypt_rounds: 4 },
    log: () => {},
  });
  try {
    const base = synapse.baseUrl;
    const users: RegisteredUser[] = [];
    for (let i = 0; i < userCount; i += 1) {
      users.push(
        await synapse.registerUser({
          localpart: `bench${i}-${randomBytes(2).toString('hex')}`,
          password: randomBytes(9).toString('base64url'),
        }),
      );
    }
    const rooms: Array<{ roomId: string; user: RegisteredUser }> = [];
    for (let i = 0; i < roomCount; i += 1) {
      const user = users[i % users.length] as RegisteredUser;
      const { room_id: roomId } = (await call(
        base,
        '/_matrix/client/v3/createRoom',
        user.accessToken,
        'POST',
        {
          preset: 'trusted_private_chat',
          is_direct: true,
          invite: ['@benchbot:localhost'],
        },
      )) as { room_id: string };
      await call(
        base,
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`,
        registration.as_token,
        'POST',
        {},
      );
      rooms.push({ roomId, user });
    }

    const levels = [];
    for (const concurrency of concurrencies) {
      levels.push(await load(base, rooms, concurrency, synapse.child.pid as number));
    }
    return { backend, synapseVersion: synapse.version, users: userCount, rooms: roomCount, levels };
  } finally {
    await synapse.stop();
    server.close();
    if (databaseUrl) await dropDatabase(parseDatabaseUrl(databaseUrl)).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }

  async function load(
    base: string,
    rooms: Array<{ roomId: string; user: RegisteredUser }>,
    concurrency: number,
    synapsePid: number,
  ) {
    sentAt.clear();
    deliveries.length = 0;
    delivered = 0;
    const sampler = new ProcSampler();
    sampler.watch('synapse', synapsePid);
    sampler.watch('driver', process.pid);
    sampler.start();
    const sendLatencies: number[] = [];
    let sent = 0;
    let failed = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const { roomId, user } = rooms[next++ % rooms.length] as (typeof rooms)[number];
          const id = `${next}-${randomBytes(4).toString('hex')}`;
          const t0 = performance.now();
          sentAt.set(id, t0);
          try {
            await call(
              base,
              `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${id}`,
              user.accessToken,
              'PUT',
              {
                msgtype: 'm.text',
                body: `benchmark message ${id}`,
                bench_id: id,
              },
            );
            sendLatencies.push(performance.now() - t0);
            sent += 1;
          } catch {
            failed += 1;
            sentAt.delete(id);
          }
        }
      }),
    );
    const sendWindow = (performance.now() - started) / 1000;
    // Let the last transactions arrive.
    const drainDeadline = performance.now() + 15_000;
    while (sentAt.size > 0 && performance.now() < drainDeadline) await new Promise((r) => setTimeout(r, 100));
    const processes = sampler.stop();
    return {
      concurrency,
      seconds: Math.round(sendWindow * 10) / 10,
      messagesSent: sent,
      sendErrors: failed,
      messagesDelivered: delivered,
      notDelivered: sentAt.size,
      sendPerSecond: Math.round(sent / sendWindow),
      deliveredPerSecond: Math.round(delivered / sendWindow),
      sendLatencyMs: summarize(sendLatencies),
      sendToDeliveryMs: summarize(deliveries),
      processes,
      machine: sampler.machine(processes),
    };
  }
}

const results = [];
for (const backend of backends) {
  console.log(
    `[bench] Synapse ceiling on ${backend}: ${userCount} users, ${roomCount} rooms, ${concurrencies.join(' and ')} concurrent senders, ${seconds}s each…`,
  );
  const result = await measure(backend);
  results.push(result);
  for (const level of result.levels) {
    const synapseCpu = level.processes.find((p) => p.name === 'synapse');
    console.log(
      `[bench]   ${backend}, ${level.concurrency} senders: ${level.sendPerSecond} msg/s sent, ${level.deliveredPerSecond} msg/s delivered ` +
        `to the appservice (${level.messagesDelivered}/${level.messagesSent}); send p50 ${level.sendLatencyMs.p50} ms p99 ${level.sendLatencyMs.p99} ms; ` +
        `send→delivery p50 ${level.sendToDeliveryMs.p50} ms p99 ${level.sendToDeliveryMs.p99} ms; ` +
        `Synapse ${synapseCpu?.meanCores} cores, other work on the machine ${level.machine.meanOtherCores} cores`,
    );
  }
}
const path = writeResult('synapse-ceiling', { results });
console.log(`[bench] written to ${path}`);
