// What a received message asks of the bot, decided the same way at intake and in the worker.
import { isEdit, type MatrixEvent, stripReplyFallback } from '../matrix/events.ts';
import { type Command, parseCommand } from './commands.ts';

export type MessageKind =
  | { kind: 'ignore'; why: string }
  | { kind: 'command'; command: Command }
  | { kind: 'prompt'; text: string }
  | { kind: 'unsupported'; what: string }
  | { kind: 'too_long'; length: number }
  | { kind: 'encrypted' };

const unsupportedNames: Record<string, string> = {
  'm.image': 'images',
  'm.file': 'files',
  'm.audio': 'audio messages',
  'm.video': 'videos',
  'm.location': 'locations',
};

export function messageText(event: MatrixEvent): string {
  const body = event.content.body;
  return typeof body === 'string' ? stripReplyFallback(body) : '';
}

export function classifyMessage(event: MatrixEvent, maxChars: number): MessageKind {
  if (event.type === 'm.sticker') return { kind: 'unsupported', what: 'stickers' };
  if (event.type === 'm.room.encrypted') return { kind: 'encrypted' };
  if (event.type !== 'm.room.message') return { kind: 'ignore', why: 'not a message' };
  if (isEdit(event)) return { kind: 'ignore', why: 'edit' };
  const msgtype = event.content.msgtype;
  if (msgtype === 'm.notice') return { kind: 'ignore', why: 'notice' };
  if (msgtype !== 'm.text' && msgtype !== 'm.emote') {
    const what =
      typeof msgtype === 'string'
        ? (unsupportedNames[msgtype] ?? 'this kind of message')
        : 'this kind of message';
    return { kind: 'unsupported', what };
  }
  const text = messageText(event);
  if (!text.trim()) return { kind: 'ignore', why: 'empty' };
  const command = parseCommand(text);
  if (command) return { kind: 'command', command };
  if (text.length > maxChars) return { kind: 'too_long', length: text.length };
  return { kind: 'prompt', text };
}

/**
 * Whether a message in a group room is meant for the bot: an `m.mentions` of it, its user id in the
 * text, or one of its names (localpart, display name) as a word. Built once: it runs on every message.
 */
export function botMentionMatcher(
  botUserId: string,
  botNames: readonly string[],
): (event: MatrixEvent) => boolean {
  const names = botNames.map((n) => n.trim()).filter((n) => n !== '');
  const escaped = names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const asWord = names.length
    ? new RegExp(`(^|[^\\p{L}\\p{N}_])@?(${escaped})([^\\p{L}\\p{N}_]|$)`, 'iu')
    : undefined;
  return (event) => {
    const mentions = event.content['m.mentions'];
    if (mentions && typeof mentions === 'object') {
      const ids = (mentions as { user_ids?: unknown }).user_ids;
      if (Array.isArray(ids) && ids.includes(botUserId)) return true;
    }
    const html = event.content.formatted_body;
    const text = `${messageText(event)} ${typeof html === 'string' ? html : ''}`;
    return text.includes(botUserId) || (asWord?.test(text) ?? false);
  };
}
