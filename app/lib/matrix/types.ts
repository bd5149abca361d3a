// Plain data the rest of the app works with. The SDK's own classes stay inside client.ts; everything
// it hands out is converted to these shapes first.

export type StreamState = 'streaming' | 'done' | 'error' | 'stopped';

export type SendStatus = 'sending' | 'sent' | 'failed';

/** A timeline event as the app sees it (remote, or a local echo of our own send). */
export interface TimelineEvent {
  /** The server's id; for a local echo still unsent, a local id (`~<txnId>`). */
  eventId: string;
  /** Set on our own sends: links the local echo to its remote echo. */
  txnId?: string;
  roomId: string;
  sender: string;
  type: string;
  content: Record<string, unknown>;
  ts: number;
  status: SendStatus;
  /** For m.room.redaction: the event it removes. */
  redacts?: string;
  /** The event arrived already redacted (its content is gone). */
  redacted: boolean;
}

export interface Session {
  homeserverUrl: string;
  userId: string;
  accessToken: string;
  deviceId: string;
}

export interface RoomSummary {
  roomId: string;
  name: string;
  /** A one-line preview of the newest visible message ('' when none). */
  lastMessage: string;
  lastSender: string;
  /** Newest activity (ms since epoch): the last message, or the room's creation. */
  lastTs: number;
  unread: number;
}

/** Where the sync loop stands, as the banner shows it. */
export type ConnectionState = 'idle' | 'connecting' | 'online' | 'reconnecting' | 'offline';

export interface TypingState {
  roomId: string;
  userIds: string[];
}
