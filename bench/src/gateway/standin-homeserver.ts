// A minimal Matrix homeserver stand-in for the gateway-alone benchmark (a benchmark tool: never used by
// tests or `npm start`). It answers just the Client-Server calls the gateway makes (send, typing,
// receipts, join, joined_members, /messages, event, whoami, versions, profile, register, appservice
// ping) with minimal valid JSON, and records every message the bot sends, per room, to judge the
// replies: first post time, edits, final text, duplicates (same txnId with other content, or two
// distinct reply messages for one user message).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const STREAM_KEY = 'org.clawchat.stream';

export interface RoomRecord {
  /** When the gateway first asked for the room's members, history (/messages), and sent typing/receipt. */
  firstCallAt: Partial<Record<'joined_members' | 'messages' | 'typing' | 'receipt', number>>;
  /** Distinct reply messages (not edits, not notices): txnId → event id. */
  replyTxns: Map<string, string>;
  /** The typing state the bot last set (a reply that ends must leave it off). */
  typing?: boolean;
  firstReplyAt?: number;
  /** The state the first post carried ("streaming", or "done" when the whole text came at once). */
  firstReplyState?: string;
  streamingEdits: number;
  finalAt?: number;
  finalState?: string;
  finalBody?: string;
  notices: number;
  noticeBodies: string[];
  /** Same txnId re-sent with different content (a real homeserver would keep only the first). */
  txnConflicts: number;
  /** Same txnId re-sent with the same content (a harmless retry). */
  txnRepeats: number;
}

export type SendKind = 'post' | 'edit' | 'final' | 'notice';

const now = () => performance.timeOrigin + performance.now();

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export class StandinHomeserver {
  readonly rooms = new Map<string, RoomRecord>();
  /** Requests by endpoint. */
  readonly requests: Record<string, number> = {};
  /** Per second since `t0`: stored events by kind (what a real homeserver would persist). */
  readonly perSecond: Array<Record<SendKind, number>> = [];
  readonly unknownRoutes: string[] = [];
  /** Per second since `t0`: requests received (all endpoints). */
  readonly requestsPerSecond: number[] = [];
  connections = 0;
  private readonly txns = new Map<string, { eventId: string; body: string }>();
  private eventSeq = 0;
  private server: Server | undefined;
  t0 = now();
  onFinal?: (roomId: string, record: RoomRecord) => void;
  onFirstReply?: (roomId: string, record: RoomRecord) => void;

  constructor(
    private readonly botUserId: string,
    private readonly members: (roomId: string) => string[],
  ) {}

  room(roomId: string): RoomRecord {
    let record = this.rooms.get(roomId);
    if (!record) {
      record = {
        firstCallAt: {},
        replyTxns: new Map(),
        streamingEdits: 0,
        notices: 0,
        noticeBodies: [],
        txnConflicts: 0,
        txnRepeats: 0,
      };
      this.rooms.set(roomId, record);
    }
    return record;
  }

  async listen(): Promise<number> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', () => {
      this.connections += 1;
    });
    this.server.keepAliveTimeout = 120_000;
    this.server.requestTimeout = 0;
    await new Promise<void>((resolve) =>
      this.server!.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, resolve),
    );
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    await new Promise<void>((resolve) => {
      this.server!.close(() => resolve());
      this.server!.closeAllConnections();
    });
  }

  /** Rooms the bot last left showing as typing. */
  typingLeftOn(): number {
    let n = 0;
    for (const record of this.rooms.values()) if (record.typing) n++;
    return n;
  }

  private noteRoomCall(roomId: string, endpoint: 'joined_members' | 'messages' | 'typing' | 'receipt'): void {
    const record = this.room(roomId);
    record.firstCallAt[endpoint] ??= now();
  }

  private count(endpoint: string): void {
    this.requests[endpoint] = (this.requests[endpoint] ?? 0) + 1;
    const second = Math.max(0, Math.floor((now() - this.t0) / 1000));
    while (this.requestsPerSecond.length <= second) this.requestsPerSecond.push(0);
    this.requestsPerSecond[second]! += 1;
  }

  private bucket(kind: SendKind, at: number): void {
    const second = Math.max(0, Math.floor((at - this.t0) / 1000));
    while (this.perSecond.length <= second) this.perSecond.push({ post: 0, edit: 0, final: 0, notice: 0 });
    this.perSecond[second]![kind] += 1;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = now();
      const url = new URL(req.url ?? '/', 'http://x');
      const parts = url.pathname.split('/').map((p) => decodeURIComponent(p));
      const body = chunks.length ? Buffer.concat(chunks).toString('utf8') : '';
      const method = req.method ?? 'GET';
      // /_matrix/client/v3/rooms/{roomId}/send/{type}/{txnId}
      if (method === 'PUT' && parts[4] === 'rooms' && parts[6] === 'send' && parts.length === 9) {
        this.count('send');
        this.send(res, parts[5]!, parts[7]!, parts[8]!, body, at);
        return;
      }
      if (method === 'PUT' && parts[4] === 'rooms' && parts[6] === 'typing') {
        this.count('typing');
        this.noteRoomCall(parts[5]!, 'typing');
        this.room(parts[5]!).typing = body.includes('"typing":true');
        json(res, 200, {});
        return;
      }
      if (method === 'POST' && parts[4] === 'rooms' && parts[6] === 'receipt') {
        this.count('receipt');
        this.noteRoomCall(parts[5]!, 'receipt');
        json(res, 200, {});
        return;
      }
      if (method === 'GET' && parts[4] === 'rooms' && parts[6] === 'joined_members') {
        this.count('joined_members');
        this.noteRoomCall(parts[5]!, 'joined_members');
        const joined: Record<string, object> = {};
        for (const user of this.members(parts[5]!)) joined[user] = { display_name: null, avatar_url: null };
        json(res, 200, { joined });
        return;
      }
      if (method === 'GET' && parts[4] === 'rooms' && parts[6] === 'messages') {
        this.count('messages');
        this.noteRoomCall(parts[5]!, 'messages');
        // A new conversation: nothing before the message being answered.
        json(res, 200, { chunk: [], start: 's0' });
        return;
      }
      if (method === 'GET' && parts[4] === 'rooms' && parts[6] === 'event') {
        this.count('event');
        json(res, 404, { errcode: 'M_NOT_FOUND', error: 'Event not found' });
        return;
      }
      if ((method === 'POST' && parts[4] === 'join') || (parts[4] === 'rooms' && parts[6] === 'join')) {
        this.count('join');
        json(res, 200, { room_id: parts[4] === 'join' ? parts[5] : parts[5] });
        return;
      }
      if (url.pathname === '/_matrix/client/versions') {
        this.count('versions');
        json(res, 200, { versions: ['v1.11', 'v1.12'] });
        return;
      }
      if (url.pathname === '/_matrix/client/v3/account/whoami') {
        this.count('whoami');
        json(res, 200, { user_id: this.botUserId });
        return;
      }
      if (parts[4] === 'profile') {
        this.count('profile');
        json(res, 200, method === 'GET' ? { displayname: 'Clawdbot' } : {});
        return;
      }
      if (method === 'POST' && url.pathname === '/_matrix/client/v3/register') {
        this.count('register');
        json(res, 400, { errcode: 'M_USER_IN_USE', error: 'User ID already taken.' });
        return;
      }
      if (method === 'POST' && parts[3] === 'v1' && parts[4] === 'appservice' && parts[6] === 'ping') {
        this.count('ping');
        json(res, 200, { duration_ms: 1 });
        return;
      }
      this.count('unrecognized');
      if (this.unknownRoutes.length < 20) this.unknownRoutes.push(`${method} ${url.pathname}`);
      json(res, 404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
    });
  }

  private send(
    res: ServerResponse,
    roomId: string,
    type: string,
    txnId: string,
    body: string,
    at: number,
  ): void {
    const record = this.room(roomId);
    const key = `${roomId}\u0000${txnId}`;
    const signature = body.length < 64 ? body : `#${hash(body)}:${body.length}`;
    const seen = this.txns.get(key);
    if (seen) {
      if (seen.body === signature) record.txnRepeats += 1;
      else record.txnConflicts += 1;
      json(res, 200, { event_id: seen.eventId });
      return;
    }
    let content: Record<string, unknown>;
    try {
      content = JSON.parse(body) as Record<string, unknown>;
    } catch {
      json(res, 400, { errcode: 'M_NOT_JSON', error: 'Content not JSON.' });
      return;
    }
    const eventId = `$bench${(++this.eventSeq).toString(36)}`;
    // Only ids are kept (not the bodies): 10,000 conversations of long replies would otherwise weigh GBs.
    this.txns.set(key, { eventId, body: signature });
    json(res, 200, { event_id: eventId });
    if (type !== 'm.room.message') return;
    const relates = content['m.relates_to'] as { rel_type?: string } | undefined;
    const stream = content[STREAM_KEY] as { state?: string } | undefined;
    if (relates?.rel_type === 'm.replace') {
      const newContent = content['m.new_content'] as Record<string, unknown> | undefined;
      const state = stream?.state;
      if (state === 'streaming') {
        record.streamingEdits += 1;
        this.bucket('edit', at);
      } else {
        this.bucket('final', at);
        if (record.finalAt === undefined) {
          record.finalAt = at;
          record.finalState = state;
          record.finalBody = typeof newContent?.body === 'string' ? newContent.body : undefined;
          this.onFinal?.(roomId, record);
        } else {
          record.txnConflicts += 1; // a second final edit
        }
      }
      return;
    }
    if (content.msgtype === 'm.notice') {
      record.notices += 1;
      if (record.noticeBodies.length < 2) record.noticeBodies.push(String(content.body).slice(0, 200));
      this.bucket('notice', at);
      return;
    }
    record.replyTxns.set(txnId, eventId);
    this.bucket('post', at);
    if (record.firstReplyAt === undefined) {
      record.firstReplyAt = at;
      record.firstReplyState = stream?.state;
      this.onFirstReply?.(roomId, record);
      if (stream?.state && stream.state !== 'streaming') {
        record.finalAt = at;
        record.finalState = stream.state;
        record.finalBody = typeof content.body === 'string' ? content.body : undefined;
        this.onFinal?.(roomId, record);
      }
    }
  }
}

/** A cheap 32-bit string hash (FNV-1a), to compare re-sent bodies without keeping them. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
