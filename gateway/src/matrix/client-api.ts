// The Client-Server API calls the gateway makes, typed, over the lean HTTP client.

import type { MatrixEvent } from './events.ts';
import type { MatrixHttpClient, RequestOptions } from './http-client.ts';

const enc = encodeURIComponent;

export interface MessagesPage {
  chunk: MatrixEvent[];
  start?: string;
  end?: string;
}

export class MatrixClientApi {
  constructor(readonly http: MatrixHttpClient) {}

  whoami(): Promise<{ user_id: string; device_id?: string }> {
    return this.http.request('GET', '/_matrix/client/v3/account/whoami', { endpoint: 'whoami', attempts: 3 });
  }

  versions(timeoutMs = 5000): Promise<{ versions: string[] }> {
    return this.http.request('GET', '/_matrix/client/versions', { endpoint: 'versions', timeoutMs });
  }

  async join(roomIdOrAlias: string): Promise<string> {
    const res = await this.http.request<{ room_id: string }>(
      'POST',
      `/_matrix/client/v3/join/${enc(roomIdOrAlias)}`,
      {
        body: {},
        endpoint: 'join',
        attempts: 3,
      },
    );
    return res.room_id;
  }

  /** Idempotent for the same txnId: a retried or taken-over send never posts twice. */
  async sendEvent(
    roomId: string,
    type: string,
    txnId: string,
    content: Record<string, unknown>,
  ): Promise<string> {
    const res = await this.http.request<{ event_id: string }>(
      'PUT',
      `/_matrix/client/v3/rooms/${enc(roomId)}/send/${enc(type)}/${enc(txnId)}`,
      { body: content, endpoint: 'send', attempts: 4, lane: 'interactive' },
    );
    return res.event_id;
  }

  /** Whether the homeserver got it (not shed under overload, nor replaced by a newer state of the room's typing). */
  async setTyping(roomId: string, userId: string, typing: boolean, timeoutMs: number): Promise<boolean> {
    const outcome = await this.http.sendState(
      'PUT',
      `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(userId)}`,
      {
        body: typing ? { typing: true, timeout: timeoutMs } : { typing: false },
        endpoint: 'typing',
        key: `typing ${roomId} ${userId}`,
        // A stop is never shed: the start it ends may have got through.
        sheddable: typing,
      },
    );
    return outcome === 'sent';
  }

  async sendReceipt(roomId: string, eventId: string, threadId?: string): Promise<void> {
    await this.http.sendState(
      'POST',
      `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`,
      {
        body: threadId ? { thread_id: threadId } : {},
        endpoint: 'receipt',
        // A receipt on a later event of the same thread supersedes one still waiting.
        key: `receipt ${roomId} ${threadId ?? ''}`,
        sheddable: true,
      },
    );
  }

  async joinedMemberCount(roomId: string): Promise<number> {
    const res = await this.http.request<{ joined: Record<string, unknown> }>(
      'GET',
      `/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`,
      { endpoint: 'joined_members', attempts: 3, lane: 'critical' },
    );
    return Object.keys(res.joined ?? {}).length;
  }

  getEvent(roomId: string, eventId: string): Promise<MatrixEvent> {
    return this.http.request('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`, {
      endpoint: 'event',
      attempts: 3,
    });
  }

  messages(
    roomId: string,
    options: { from?: string; dir: 'b' | 'f'; limit: number; filter?: object },
  ): Promise<MessagesPage> {
    return this.http.request('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages`, {
      query: {
        dir: options.dir,
        limit: options.limit,
        from: options.from,
        filter: options.filter ? JSON.stringify(options.filter) : undefined,
      },
      endpoint: 'messages',
      attempts: 3,
      lane: 'critical',
    });
  }

  pingAppservice(appserviceId: string, transactionId: string): Promise<{ duration_ms: number }> {
    return this.http.request('POST', `/_matrix/client/v1/appservice/${enc(appserviceId)}/ping`, {
      body: { transaction_id: transactionId },
      endpoint: 'ping',
      timeoutMs: 15_000,
    });
  }

  /** Registers the bot user of an application service (M_USER_IN_USE when it exists: fine). */
  async registerAppserviceUser(localpart: string): Promise<void> {
    await this.http.request('POST', '/_matrix/client/v3/register', {
      body: { type: 'm.login.application_service', username: localpart, inhibit_login: true },
      endpoint: 'register',
    });
  }

  async getDisplayName(userId: string): Promise<string | undefined> {
    const res = await this.http.request<{ displayname?: string }>(
      'GET',
      `/_matrix/client/v3/profile/${enc(userId)}/displayname`,
      {
        endpoint: 'profile',
      },
    );
    return res.displayname;
  }

  setDisplayName(userId: string, displayname: string): Promise<unknown> {
    return this.http.request('PUT', `/_matrix/client/v3/profile/${enc(userId)}/displayname`, {
      body: { displayname },
      endpoint: 'profile',
    });
  }

  sync(options: { since?: string; timeoutMs: number; filter?: string }, extra: RequestOptions = {}) {
    return this.http.request<SyncResponse>('GET', '/_matrix/client/v3/sync', {
      query: { since: options.since, timeout: options.timeoutMs, filter: options.filter },
      endpoint: 'sync',
      timeoutMs: options.timeoutMs + 30_000,
      ...extra,
    });
  }
}

export interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<string, { timeline?: { events?: Omit<MatrixEvent, 'room_id'>[] } }>;
    invite?: Record<string, { invite_state?: { events?: Array<Record<string, unknown>> } }>;
  };
}
