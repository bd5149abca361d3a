// A second real user playing the gateway's part in tests and the benchmark, through the plain
// client-server API (no SDK client: it only sends, and must not sync).
import { randomBytes } from 'node:crypto';

export interface BotUser {
  userId: string;
  join(roomId: string): Promise<void>;
  send(roomId: string, content: Record<string, unknown>): Promise<string>;
  redact(roomId: string, eventId: string): Promise<string>;
  createRoom(body?: Record<string, unknown>): Promise<string>;
}

export function botUser(baseUrl: string, user: { userId: string; accessToken: string }): BotUser {
  let txn = 0;
  const txnId = () => {
    txn += 1;
    return `${Date.now()}-${randomBytes(4).toString('hex')}-${txn}`;
  };
  async function call(method: string, path: string, body: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${baseUrl}/_matrix/client/v3${path}`, {
      method,
      headers: { Authorization: `Bearer ${user.accessToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  }
  const room = (roomId: string) => encodeURIComponent(roomId);
  return {
    userId: user.userId,
    async join(roomId) {
      await call('POST', `/join/${room(roomId)}`, {});
    },
    async send(roomId, content) {
      const json = await call('PUT', `/rooms/${room(roomId)}/send/m.room.message/${txnId()}`, content);
      return json.event_id as string;
    },
    async redact(roomId, eventId) {
      const json = await call(
        'PUT',
        `/rooms/${room(roomId)}/redact/${encodeURIComponent(eventId)}/${txnId()}`,
        {},
      );
      return json.event_id as string;
    },
    async createRoom(body = {}) {
      const json = await call('POST', '/createRoom', body);
      return json.room_id as string;
    },
  };
}
