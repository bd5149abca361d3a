// The timeline reducer: turns a stream of plain timeline events (live, paginated, local echoes,
// edits, redactions) into message bubbles. Pure and copy-on-write: applying one edit replaces one
// ChatMessage object and leaves every other object (and the shells array) as it was.

import { isCommandBody, relationOf, streamStateOf } from '../matrix/protocol';
import type { TimelineEvent } from '../matrix/types';
import { NO_PLACES, placeOf, withPlace } from './places';
import type { ApplyContext, ChatMessage, MessageShell, RoomTimeline } from './types';

export function emptyTimeline(): RoomTimeline {
  return {
    shells: [],
    messages: {},
    keys: {},
    originals: {},
    edits: {},
    hidden: {},
    places: NO_PLACES,
  };
}

const localId = (txnId: string) => `~${txnId}`;

/** Matrix's rule for competing edits: the newest origin_server_ts wins, ties by event id. */
function newer(a: TimelineEvent, b: TimelineEvent): boolean {
  return a.ts !== b.ts ? a.ts > b.ts : a.eventId > b.eventId;
}

function winningEdit(original: TimelineEvent, edits: TimelineEvent[] | undefined): TimelineEvent | undefined {
  let winner: TimelineEvent | undefined;
  for (const edit of edits ?? []) {
    if (edit.sender !== original.sender || edit.redacted) continue;
    const newContent = edit.content['m.new_content'];
    if (!newContent || typeof newContent !== 'object') continue;
    if (!winner || newer(edit, winner)) winner = edit;
  }
  return winner;
}

function messageFrom(key: string, original: TimelineEvent, edits: TimelineEvent[] | undefined): ChatMessage {
  const edit = winningEdit(original, edits);
  const content = edit ? (edit.content['m.new_content'] as Record<string, unknown>) : original.content;
  const relation = relationOf(original.content);
  const body = typeof content.body === 'string' ? content.body : '';
  const msgtype = typeof content.msgtype === 'string' ? content.msgtype : 'm.text';
  const message: ChatMessage = {
    key,
    eventId: original.eventId,
    sender: original.sender,
    ts: original.ts,
    msgtype,
    body: msgtype === 'm.image' ? `🖼 ${body}` : body,
    edited: edit !== undefined,
    status: original.status,
  };
  if (original.txnId) message.txnId = original.txnId;
  const stream = streamStateOf(content) ?? streamStateOf(original.content);
  if (stream) message.stream = stream;
  if (relation.relType === 'm.thread' && relation.eventId) message.threadRoot = relation.eventId;
  return message;
}

function isShown(event: TimelineEvent): boolean {
  return event.type === 'm.room.message' && !event.redacted;
}

function isEdit(event: TimelineEvent): boolean {
  return relationOf(event.content).relType === 'm.replace';
}

function withMessage(t: RoomTimeline, key: string): RoomTimeline {
  const original = t.originals[key];
  if (!original) return t;
  const edits = t.edits[original.eventId];
  return { ...t, messages: { ...t.messages, [key]: messageFrom(key, original, edits) } };
}

function applyEdit(t: RoomTimeline, edit: TimelineEvent): RoomTimeline {
  const target = relationOf(edit.content).eventId;
  if (!target) return t;
  const existing = t.edits[target] ?? [];
  if (existing.some((e) => e.eventId === edit.eventId)) return t;
  const next: RoomTimeline = { ...t, edits: { ...t.edits, [target]: [...existing, edit] } };
  if (t.hidden[target]) return next;
  const key = t.keys[target];
  if (!key) return next; // The original comes later (back-pagination); the edit waits for it.
  const before = t.messages[key];
  const after = withMessage(next, key);
  // An edit that loses to one already applied changes nothing: keep the same message object.
  const message = after.messages[key];
  if (before && message && before.body === message.body && before.stream === message.stream) {
    return { ...after, messages: t.messages };
  }
  return after;
}

function applyRedaction(t: RoomTimeline, redaction: TimelineEvent): RoomTimeline {
  const target = redaction.redacts;
  if (!target) return t;
  const key = t.keys[target];
  if (key && t.messages[key]) {
    const { [key]: _removed, ...messages } = t.messages;
    const { [key]: _original, ...originals } = t.originals;
    return { ...t, messages, originals, shells: t.shells.filter((s) => s._id !== key) };
  }
  for (const [targetId, edits] of Object.entries(t.edits)) {
    if (!edits.some((e) => e.eventId === target)) continue;
    const next: RoomTimeline = {
      ...t,
      edits: { ...t.edits, [targetId]: edits.filter((e) => e.eventId !== target) },
    };
    const messageKey = t.keys[targetId];
    return messageKey ? withMessage(next, messageKey) : next;
  }
  return t;
}

/** Our own send, seen again: as its status changes, or as its remote echo arrives. */
function applyKnown(t: RoomTimeline, key: string, event: TimelineEvent): RoomTimeline {
  const original = t.originals[key];
  if (!original) return t;
  const isLocal = event.eventId.startsWith('~');
  const updated: TimelineEvent = {
    ...original,
    eventId: isLocal ? original.eventId : event.eventId,
    status: event.status,
    ts: original.status === 'sent' ? original.ts : event.ts,
  };
  if (
    updated.eventId === original.eventId &&
    updated.status === original.status &&
    updated.ts === original.ts
  ) {
    return t;
  }
  const keys = isLocal ? t.keys : { ...t.keys, [event.eventId]: key };
  return withMessage({ ...t, keys, originals: { ...t.originals, [key]: updated } }, key);
}

function applyHiddenStatus(t: RoomTimeline, event: TimelineEvent): RoomTimeline {
  // A command's local echo got its real id: remember it so the bot's answer to it is hidden too.
  if (event.txnId && t.hidden[localId(event.txnId)] && !event.eventId.startsWith('~')) {
    if (t.hidden[event.eventId]) return t;
    return { ...t, hidden: { ...t.hidden, [event.eventId]: true } };
  }
  return t;
}

function isCommandOrAnswer(t: RoomTimeline, event: TimelineEvent, ctx: ApplyContext): boolean {
  if (event.sender === ctx.myUserId && isCommandBody(event.content.body)) return true;
  if (event.sender === ctx.myUserId) return false;
  // The bot's acknowledgement of a command (a notice answering it) is hidden; a regenerated reply,
  // which also answers `!retry` but carries a stream state, is shown.
  const { inReplyTo } = relationOf(event.content);
  return (
    inReplyTo !== undefined && t.hidden[inReplyTo] === true && streamStateOf(event.content) === undefined
  );
}

/** Records where an event sits in the room, whatever it is (a local echo has no place yet). */
function placed(t: RoomTimeline, event: TimelineEvent, direction: ApplyContext['direction']): RoomTimeline {
  if (event.eventId.startsWith('~')) return t;
  const places = withPlace(t.places, event.eventId, direction ?? 'forward');
  return places === t.places ? t : { ...t, places };
}

export function applyEvent(t: RoomTimeline, event: TimelineEvent, ctx: ApplyContext): RoomTimeline {
  return placed(applyContent(t, event, ctx), event, ctx.direction);
}

function applyContent(t: RoomTimeline, event: TimelineEvent, ctx: ApplyContext): RoomTimeline {
  if (event.type === 'm.room.redaction') return applyRedaction(t, event);
  if (event.type !== 'm.room.message') return t;
  if (t.hidden[event.eventId] || (event.txnId && t.hidden[localId(event.txnId)])) {
    return applyHiddenStatus(t, event);
  }
  if (isEdit(event)) return applyEdit(t, event);

  const known = t.keys[event.eventId] ?? (event.txnId ? t.keys[localId(event.txnId)] : undefined);
  if (known) return applyKnown(t, known, event);
  if (!isShown(event)) return t;

  if (isCommandOrAnswer(t, event, ctx)) {
    const hidden = { ...t.hidden, [event.eventId]: true as const };
    if (event.txnId) hidden[localId(event.txnId)] = true;
    return { ...t, hidden };
  }

  const key = event.txnId ? localId(event.txnId) : event.eventId;
  const shell: MessageShell = { _id: key, text: '', createdAt: event.ts, user: { _id: event.sender } };
  const keys = { ...t.keys, [key]: key, [event.eventId]: key };
  const originals = { ...t.originals, [key]: event };
  const shells = ctx.direction === 'backward' ? [...t.shells, shell] : [shell, ...t.shells];
  return {
    ...t,
    shells,
    keys,
    originals,
    messages: { ...t.messages, [key]: messageFrom(key, event, t.edits[event.eventId]) },
  };
}

export function applyEvents(t: RoomTimeline, events: TimelineEvent[], ctx: ApplyContext): RoomTimeline {
  let next = t;
  for (const event of events) next = applyEvent(next, event, ctx);
  return next;
}

/** The newest message shown, for the conversation list's preview. */
export function lastMessage(t: RoomTimeline | undefined): ChatMessage | undefined {
  const shell = t?.shells[0];
  return shell ? t.messages[shell._id] : undefined;
}

/** The newest message of the bot still growing, if any (drives the Stop button). */
export function streamingMessage(t: RoomTimeline | undefined, botUserId: string): ChatMessage | undefined {
  for (const shell of t?.shells ?? []) {
    const message = t?.messages[shell._id];
    if (message?.sender === botUserId) return message.stream === 'streaming' ? message : undefined;
  }
  return undefined;
}

/**
 * Messages from others newer than `readUpTo` (our read receipt), which may point at any event the
 * room holds: a message, an edit, a hidden command, a state event.
 */
export function unreadCount(
  t: RoomTimeline | undefined,
  myUserId: string,
  readUpTo: string | undefined,
): number {
  if (!t) return 0;
  const readPlace = readUpTo ? placeOf(t.places, readUpTo) : undefined;
  let count = 0;
  for (const shell of t.shells) {
    const message = t.messages[shell._id];
    if (!message) continue;
    if (message.sender === myUserId) break;
    const place = placeOf(t.places, message.eventId);
    if (readPlace !== undefined && place !== undefined && place <= readPlace) break;
    count += 1;
  }
  return count;
}
