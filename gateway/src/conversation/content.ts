// The message contents the bot sends: streamed replies (first post and `m.replace` edits, each carrying
// `org.clawchat.stream`), and notices. Markdown goes out as sanitized `formatted_body` HTML.
import { looksLikeMarkdown, renderMarkdown } from './markdown.ts';

export type StreamState = 'streaming' | 'done' | 'error' | 'stopped';

export const STREAM_KEY = 'org.clawchat.stream';

export interface ReplyTarget {
  /** The event being answered. */
  sourceEventId: string;
  /** Set when the source event is in a thread: the reply goes in the thread too. */
  threadRoot?: string;
}

function relation(target: ReplyTarget): Record<string, unknown> {
  if (target.threadRoot) {
    return {
      rel_type: 'm.thread',
      event_id: target.threadRoot,
      is_falling_back: true,
      'm.in_reply_to': { event_id: target.sourceEventId },
    };
  }
  return { 'm.in_reply_to': { event_id: target.sourceEventId } };
}

function formatted(msgtype: string, body: string): Record<string, unknown> {
  // Plain text goes without HTML (no rendering cost, and what clients expect for plain text).
  if (!looksLikeMarkdown(body)) return { msgtype, body };
  return { msgtype, body, format: 'org.matrix.custom.html', formatted_body: renderMarkdown(body) };
}

/** The text shown for a reply in a given state (the model's text plus a short status when it ended badly). */
export function displayText(text: string, state: StreamState, notice?: string): string {
  if (state === 'stopped') return text ? `${text}\n\n*(stopped)*` : '*(stopped before any text was written)*';
  if (state === 'error') {
    const why = notice ?? 'the reply could not be completed';
    return text ? `${text}\n\n⚠️ *${why}*` : `⚠️ ${why}`;
  }
  if (state === 'done' && !text.trim()) return '*(the model returned an empty reply)*';
  return text;
}

export function replyContent(
  target: ReplyTarget,
  text: string,
  state: StreamState,
  notice?: string,
): Record<string, unknown> {
  return {
    ...formatted('m.text', displayText(text, state, notice)),
    [STREAM_KEY]: { state },
    'm.relates_to': relation(target),
  };
}

export function editContent(
  replyEventId: string,
  text: string,
  state: StreamState,
  notice?: string,
): Record<string, unknown> {
  const body = displayText(text, state, notice);
  const shown = formatted('m.text', body);
  const newContent = { ...shown, [STREAM_KEY]: { state } };
  // The fallback for clients without edits: "* " and the same text (rendered once, not as a list item).
  const fallback: Record<string, unknown> = { msgtype: 'm.text', body: `* ${body}` };
  if (shown.formatted_body !== undefined) {
    fallback.format = 'org.matrix.custom.html';
    fallback.formatted_body = `* ${shown.formatted_body}`;
  }
  return {
    ...fallback,
    [STREAM_KEY]: { state },
    'm.new_content': newContent,
    'm.relates_to': { rel_type: 'm.replace', event_id: replyEventId },
  };
}

export function noticeContent(target: ReplyTarget, markdown: string): Record<string, unknown> {
  return { ...formatted('m.notice', markdown), 'm.relates_to': relation(target) };
}
