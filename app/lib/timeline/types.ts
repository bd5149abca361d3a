import type { SendStatus, StreamState, TimelineEvent } from '../matrix/types';
import type { Places } from './places';

/** One message bubble: the original event with its latest valid edit applied. */
export interface ChatMessage {
  /** Stable across the local echo → remote echo switch, so the bubble is never remounted. */
  key: string;
  eventId: string;
  txnId?: string;
  sender: string;
  ts: number;
  msgtype: string;
  /** Markdown (bot) or plain text (people). */
  body: string;
  stream?: StreamState;
  edited: boolean;
  status: SendStatus;
  threadRoot?: string;
}

/**
 * What the chat list itself holds per message (the GiftedChat IMessage shape). It never changes once
 * made, so edits and status changes re-render the bubble that subscribes to the message, not the list.
 */
export interface MessageShell {
  _id: string;
  text: string;
  createdAt: number;
  user: { _id: string };
}

export interface RoomTimeline {
  /** Newest first. A new array only when a message is added or removed. */
  shells: MessageShell[];
  /** By message key. */
  messages: Record<string, ChatMessage>;
  /** Event id, or `~<txnId>` for a local echo → message key. */
  keys: Record<string, string>;
  /** Message key → its original event. */
  originals: Record<string, TimelineEvent>;
  /** Target event id → the m.replace edits seen for it (any order; the winner is picked on apply). */
  edits: Record<string, TimelineEvent[]>;
  /** Event ids the chat never shows: the `!stop` / `!retry` commands and the bot's answers to them. */
  hidden: Record<string, true>;
  /** Where every event seen sits in the room (messages, edits, hidden commands, state changes). */
  places: Places;
}

export interface ApplyContext {
  myUserId: string;
  /** 'backward' for events older than everything held (back-pagination). */
  direction?: 'forward' | 'backward';
}
