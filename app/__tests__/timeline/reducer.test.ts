import { EventStatus } from 'matrix-js-sdk';
import {
  applyEvents,
  emptyTimeline,
  lastMessage,
  streamingMessage,
  unreadCount,
} from '../../lib/timeline/reducer';
import type { RoomTimeline } from '../../lib/timeline/types';
import {
  BOT,
  botReply,
  edit,
  localEcho,
  ME,
  message,
  nextTs,
  plain,
  redaction,
  roomName,
} from '../support/events';

const ctx = { myUserId: ME };

function apply(t: RoomTimeline, ...events: Parameters<typeof plain>): RoomTimeline {
  return applyEvents(t, plain(...events), ctx);
}

function bodies(t: RoomTimeline): string[] {
  return t.shells.map((s) => t.messages[s._id]!.body);
}

describe('timeline reducer', () => {
  it('shows messages newest first, with live events in front and paginated ones behind', () => {
    let t = apply(emptyTimeline(), message(ME, 'one'), message(BOT, 'two'));
    expect(bodies(t)).toEqual(['two', 'one']);
    t = applyEvents(t, plain(message(ME, 'zero')), { ...ctx, direction: 'backward' });
    expect(bodies(t)).toEqual(['two', 'one', 'zero']);
  });

  it('applies a stream of edits in order: the reply grows and the stream state follows', () => {
    const reply = botReply('Hel', 'streaming');
    let t = apply(emptyTimeline(), reply);
    const key = t.shells[0]!._id;
    expect(t.messages[key]).toMatchObject({ body: 'Hel', stream: 'streaming', edited: false });
    t = apply(t, edit(reply.getId()!, 'Hello', 'streaming'));
    expect(t.messages[key]).toMatchObject({ body: 'Hello', stream: 'streaming', edited: true });
    t = apply(t, edit(reply.getId()!, 'Hello, world', 'done'));
    expect(t.messages[key]).toMatchObject({ body: 'Hello, world', stream: 'done' });
    expect(t.shells).toHaveLength(1);
  });

  it('lets the latest edit win even when edits arrive out of order', () => {
    const reply = botReply('a', 'streaming');
    const late = edit(reply.getId()!, 'final text', 'done', { ts: nextTs() + 10_000 });
    const early = edit(reply.getId()!, 'partial', 'streaming', { ts: nextTs() });
    const t = apply(emptyTimeline(), reply, late, early);
    expect(lastMessage(t)).toMatchObject({ body: 'final text', stream: 'done' });
  });

  it('breaks a tie between edits of the same time by event id, as the spec says', () => {
    const reply = botReply('a', 'streaming');
    const ts = nextTs();
    const t = apply(
      emptyTimeline(),
      reply,
      edit(reply.getId()!, 'from b', 'done', { ts, id: '$b' }),
      edit(reply.getId()!, 'from a', 'done', { ts, id: '$a' }),
    );
    expect(lastMessage(t)?.body).toBe('from b');
  });

  it('keeps edits that arrive before their original (back-pagination) and applies them when it comes', () => {
    const reply = botReply('first', 'streaming');
    let t = applyEvents(emptyTimeline(), plain(edit(reply.getId()!, 'grown', 'done')), {
      ...ctx,
      direction: 'backward',
    });
    expect(t.shells).toHaveLength(0);
    t = applyEvents(t, plain(reply), { ...ctx, direction: 'backward' });
    expect(lastMessage(t)).toMatchObject({ body: 'grown', stream: 'done' });
  });

  it('ignores an edit from someone other than the original sender', () => {
    const reply = botReply('genuine', 'done');
    const t = apply(
      emptyTimeline(),
      reply,
      edit(reply.getId()!, 'forged', 'done', { sender: '@mallory:localhost' }),
    );
    expect(lastMessage(t)?.body).toBe('genuine');
  });

  it('changes only the edited message object; the others and the shells stay the same objects', () => {
    const first = message(ME, 'question');
    const reply = botReply('ans', 'streaming');
    const before = apply(emptyTimeline(), first, reply);
    const after = apply(before, edit(reply.getId()!, 'answer', 'streaming'));
    expect(after.shells).toBe(before.shells);
    const questionKey = before.shells[1]!._id;
    expect(after.messages[questionKey]).toBe(before.messages[questionKey]);
    expect(after.messages[before.shells[0]!._id]).not.toBe(before.messages[before.shells[0]!._id]);
  });

  it('removes a redacted message, and falls back to the previous edit when an edit is redacted', () => {
    const reply = botReply('v1', 'streaming');
    const e2 = edit(reply.getId()!, 'v2', 'streaming');
    const e3 = edit(reply.getId()!, 'v3', 'done');
    let t = apply(emptyTimeline(), message(ME, 'hi'), reply, e2, e3);
    expect(lastMessage(t)?.body).toBe('v3');
    t = apply(t, redaction(e3.getId()!));
    expect(lastMessage(t)?.body).toBe('v2');
    t = apply(t, redaction(reply.getId()!));
    expect(bodies(t)).toEqual(['hi']);
  });

  it('does not show an event that arrives already redacted', () => {
    const gone = message(ME, 'secret');
    gone.setUnsigned({ redacted_because: { type: 'm.room.redaction' } } as never);
    const t = apply(emptyTimeline(), gone);
    expect(t.shells).toHaveLength(0);
  });

  it('tracks a local echo from sending to sent without changing its key', () => {
    let t = apply(emptyTimeline(), localEcho('hello', 'txn1'));
    const key = t.shells[0]!._id;
    expect(t.messages[key]).toMatchObject({ body: 'hello', status: 'sending', txnId: 'txn1' });

    const remote = message(ME, 'hello', {}, { id: '$real', txnId: 'txn1' });
    t = apply(t, remote);
    expect(t.shells).toHaveLength(1);
    expect(t.shells[0]!._id).toBe(key);
    expect(t.messages[key]).toMatchObject({ status: 'sent', eventId: '$real' });
    // The remote echo seen a second time changes nothing.
    expect(apply(t, remote)).toBe(t);
  });

  it('marks a failed send, and sending again brings it back to sending', () => {
    const echo = localEcho('offline words', 'txn2');
    let t = apply(emptyTimeline(), echo);
    echo.setStatus(EventStatus.NOT_SENT);
    t = apply(t, echo);
    expect(lastMessage(t)).toMatchObject({ status: 'failed', txnId: 'txn2' });
    echo.setStatus(EventStatus.SENDING);
    t = apply(t, echo);
    expect(lastMessage(t)?.status).toBe('sending');
  });

  it('hides the !stop and !retry commands and the bot notices answering them, but shows a regenerated reply', () => {
    const stop = message(ME, '!stop', {}, { id: '$stop' });
    const ack = message(BOT, 'Nothing is being written right now', {
      'm.relates_to': { 'm.in_reply_to': { event_id: '$stop' } },
    });
    const retry = message(ME, '!retry', {}, { id: '$retry' });
    const regenerated = botReply('A new answer', 'streaming', '$retry');
    const t = apply(emptyTimeline(), message(ME, 'question'), stop, ack, retry, regenerated);
    expect(bodies(t)).toEqual(['A new answer', 'question']);
  });

  it('hides a command from its local echo on, through its remote echo', () => {
    let t = apply(emptyTimeline(), localEcho('!stop', 'txn3'));
    expect(t.shells).toHaveLength(0);
    t = apply(t, message(ME, '!stop', {}, { id: '$stop2', txnId: 'txn3' }));
    t = apply(t, message(BOT, 'ack', { 'm.relates_to': { 'm.in_reply_to': { event_id: '$stop2' } } }));
    expect(t.shells).toHaveLength(0);
  });

  it('keeps a thread reply in the chat and remembers its thread', () => {
    const root = message(ME, 'root');
    const inThread = botReply('in thread', 'done');
    inThread.getContent()['m.relates_to'] = { rel_type: 'm.thread', event_id: root.getId() };
    const t = apply(emptyTimeline(), root, inThread);
    expect(lastMessage(t)).toMatchObject({ body: 'in thread', threadRoot: root.getId() });
  });

  it('finds the reply still streaming, and counts unread messages after the read receipt', () => {
    const q = message(ME, 'q');
    const r1 = botReply('one', 'done');
    const r2 = botReply('two', 'streaming');
    const t = apply(emptyTimeline(), q, r1, r2);
    expect(streamingMessage(t, BOT)?.body).toBe('two');
    expect(unreadCount(t, ME, undefined)).toBe(2);
    expect(unreadCount(t, ME, r1.getId())).toBe(1);
    expect(unreadCount(t, ME, r2.getId())).toBe(0);
  });

  it('counts nothing unread when the receipt is on what follows the last message: an edit, a hidden command, a state event', () => {
    const q = message(ME, 'q');
    const reply = botReply('The', 'streaming');
    const grown = edit(reply.getId()!, 'The answer', 'done');
    let t = apply(emptyTimeline(), q, reply, grown);
    expect(unreadCount(t, ME, grown.getId())).toBe(0);

    const stop = message(ME, '!stop', {}, { id: '$stop3' });
    const ack = message(BOT, 'nothing to stop', {
      'm.relates_to': { 'm.in_reply_to': { event_id: '$stop3' } },
    });
    const renamed = roomName('Answers');
    t = apply(t, stop, ack, renamed);
    expect(unreadCount(t, ME, ack.getId())).toBe(0);
    expect(unreadCount(t, ME, renamed.getId())).toBe(0);

    // A message that comes after is unread, whatever the receipt points at.
    t = apply(t, botReply('And one more thing', 'done'));
    expect(unreadCount(t, ME, renamed.getId())).toBe(1);
    expect(unreadCount(t, ME, grown.getId())).toBe(1);
  });

  it('places paginated events below the held ones, so a receipt in older history still counts', () => {
    const older = botReply('older', 'done');
    const olderEdit = edit(older.getId()!, 'older, edited', 'done');
    let t = apply(emptyTimeline(), botReply('newest', 'done'));
    t = applyEvents(t, plain(olderEdit, older), { ...ctx, direction: 'backward' });
    expect(bodies(t)).toEqual(['newest', 'older, edited']);
    expect(unreadCount(t, ME, olderEdit.getId())).toBe(1);
  });
});
