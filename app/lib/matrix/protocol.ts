// The gateway's conventions on top of Matrix (see gateway/README): a reply is one message followed
// by m.replace edits; the content carries `org.clawchat.stream.state`; `!stop` and `!retry` are
// commands the app sends from buttons.

import type { StreamState } from './types';

export const STREAM_KEY = 'org.clawchat.stream';

export const COMMANDS = { stop: '!stop', retry: '!retry' } as const;
export type Command = (typeof COMMANDS)[keyof typeof COMMANDS];

const STREAM_STATES: ReadonlySet<string> = new Set(['streaming', 'done', 'error', 'stopped']);

export function streamStateOf(content: Record<string, unknown>): StreamState | undefined {
  const stream = content[STREAM_KEY];
  if (stream && typeof stream === 'object') {
    const state = (stream as { state?: unknown }).state;
    if (typeof state === 'string' && STREAM_STATES.has(state)) return state as StreamState;
  }
  return undefined;
}

export function isCommandBody(body: unknown): body is Command {
  return body === COMMANDS.stop || body === COMMANDS.retry;
}

export interface Relation {
  relType?: string;
  eventId?: string;
  inReplyTo?: string;
}

export function relationOf(content: Record<string, unknown>): Relation {
  const relatesTo = content['m.relates_to'];
  if (!relatesTo || typeof relatesTo !== 'object') return {};
  const rel = relatesTo as Record<string, unknown>;
  const reply = rel['m.in_reply_to'] as { event_id?: unknown } | undefined;
  return {
    relType: typeof rel.rel_type === 'string' ? rel.rel_type : undefined,
    eventId: typeof rel.event_id === 'string' ? rel.event_id : undefined,
    inReplyTo: typeof reply?.event_id === 'string' ? reply.event_id : undefined,
  };
}
