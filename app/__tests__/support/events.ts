// Real matrix-js-sdk events for the tests, converted the way the client wrapper converts them.
import { EventStatus, MatrixEvent } from 'matrix-js-sdk';
import { toTimelineEvent } from '../../lib/matrix/client';
import type { TimelineEvent } from '../../lib/matrix/types';

export const ROOM = '!room:localhost';
export const ME = '@me:localhost';
export const BOT = '@clawbot:localhost';

let counter = 0;
let clock = 1_700_000_000_000;

export function nextTs(): number {
  clock += 1000;
  return clock;
}

export function message(
  sender: string,
  body: string,
  extra: Record<string, unknown> = {},
  opts: { id?: string; ts?: number; txnId?: string } = {},
): MatrixEvent {
  counter += 1;
  return new MatrixEvent({
    event_id: opts.id ?? `$m${counter}`,
    room_id: ROOM,
    type: 'm.room.message',
    sender,
    origin_server_ts: opts.ts ?? nextTs(),
    content: { msgtype: sender === BOT ? 'm.notice' : 'm.text', body, ...extra },
    unsigned: opts.txnId ? { transaction_id: opts.txnId } : {},
  });
}

export function streaming(state: 'streaming' | 'done' | 'error' | 'stopped') {
  return { 'org.clawchat.stream': { state } };
}

export function botReply(body: string, state: 'streaming' | 'done', replyTo?: string): MatrixEvent {
  const relation = replyTo ? { 'm.relates_to': { 'm.in_reply_to': { event_id: replyTo } } } : {};
  return message(BOT, body, {
    format: 'org.matrix.custom.html',
    formatted_body: `<p>${body}</p>`,
    ...streaming(state),
    ...relation,
  });
}

export function edit(
  target: string,
  body: string,
  state: 'streaming' | 'done' | 'error' | 'stopped',
  opts: { sender?: string; ts?: number; id?: string } = {},
): MatrixEvent {
  return message(
    opts.sender ?? BOT,
    `* ${body}`,
    {
      'm.new_content': { msgtype: 'm.notice', body, ...streaming(state) },
      'm.relates_to': { rel_type: 'm.replace', event_id: target },
    },
    { ts: opts.ts, id: opts.id },
  );
}

export function redaction(target: string, sender = BOT): MatrixEvent {
  counter += 1;
  return new MatrixEvent({
    event_id: `$r${counter}`,
    room_id: ROOM,
    type: 'm.room.redaction',
    sender,
    origin_server_ts: nextTs(),
    redacts: target,
    content: { redacts: target },
  });
}

export function roomName(name: string, sender = ME): MatrixEvent {
  counter += 1;
  return new MatrixEvent({
    event_id: `$n${counter}`,
    room_id: ROOM,
    type: 'm.room.name',
    state_key: '',
    sender,
    origin_server_ts: nextTs(),
    content: { name },
  });
}

/** Our own send as the SDK holds it before the server answers (a local echo). */
export function localEcho(
  body: string,
  txnId: string,
  status: EventStatus = EventStatus.SENDING,
): MatrixEvent {
  const event = new MatrixEvent({
    event_id: `~${ROOM}:${txnId}`,
    room_id: ROOM,
    type: 'm.room.message',
    sender: ME,
    origin_server_ts: nextTs(),
    content: { msgtype: 'm.text', body },
  });
  event.setTxnId(txnId);
  event.setStatus(status);
  return event;
}

export const plain = (...events: MatrixEvent[]): TimelineEvent[] => events.map(toTimelineEvent);
