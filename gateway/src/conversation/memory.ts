// The conversation memory of a room: the store's history, or, when the store has none (a new process
// without Redis, an evicted key), a history rebuilt from the room's timeline via `/messages`.
import { trimHistory } from '../llm/index.ts';
import type { ChatMessage } from '../llm/types.ts';
import type { MatrixClientApi } from '../matrix/client-api.ts';
import { isEdit, type MatrixEvent, relatesTo, stripReplyFallback } from '../matrix/events.ts';
import type { ConversationStore } from '../state/types.ts';
import { parseCommand } from './commands.ts';
import { STREAM_KEY } from './content.ts';

const PAGE_SIZE = 100;
const MAX_PAGES = 5;

/** Joins consecutive turns of the same role (the vendors want user and assistant turns alternating). */
export function normalizeHistory(messages: readonly ChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const message of messages) {
    if (!message.content.trim()) continue;
    const last = out[out.length - 1];
    if (last && last.role === message.role) last.content = `${last.content}\n\n${message.content}`;
    else out.push({ ...message });
  }
  while (out[0]?.role === 'assistant') out.shift();
  return out;
}

function streamState(content: Record<string, unknown>): string | undefined {
  const stream = content[STREAM_KEY];
  return stream && typeof stream === 'object' ? (stream as { state?: string }).state : undefined;
}

/**
 * Rebuilds the history from the timeline before `before` (the message being answered): the users' text and
 * the bot's replies in their latest edited form; notices, commands and failed replies are left out, and
 * nothing before the last `!new` is taken.
 */
export async function rebuildHistory(
  api: MatrixClientApi,
  roomId: string,
  botUserId: string,
  before: { eventId: string; ts: number },
  budgetTokens: number,
): Promise<ChatMessage[]> {
  const latestEdit = new Map<string, Record<string, unknown>>();
  const turns: ChatMessage[] = [];
  let from: string | undefined;
  let chars = 0;
  const charBudget = budgetTokens * 5;
  outer: for (let page = 0; page < MAX_PAGES; page++) {
    const res = await api.messages(roomId, {
      dir: 'b',
      limit: PAGE_SIZE,
      from,
      filter: { types: ['m.room.message'] },
    });
    for (const event of res.chunk as MatrixEvent[]) {
      if (event.event_id === before.eventId || event.origin_server_ts > before.ts) continue;
      if (event.unsigned && 'redacted_because' in event.unsigned) continue;
      const content = event.content;
      if (isEdit(event)) {
        const target = relatesTo(event)?.event_id;
        const newContent = content['m.new_content'];
        // Going backwards, the first edit met is the latest one.
        if (target && newContent && typeof newContent === 'object' && !latestEdit.has(target)) {
          latestEdit.set(target, newContent as Record<string, unknown>);
        }
        continue;
      }
      if (typeof content.body !== 'string' || content.msgtype === 'm.notice') continue;
      if (event.sender === botUserId) {
        const bundled = (event.unsigned?.['m.relations'] as Record<string, unknown> | undefined)?.[
          'm.replace'
        ] as { content?: Record<string, unknown> } | undefined;
        const shown =
          latestEdit.get(event.event_id) ??
          (bundled?.content?.['m.new_content'] as Record<string, unknown>) ??
          content;
        if (streamState(shown) === 'error' || typeof shown.body !== 'string') continue;
        turns.push({ role: 'assistant', content: shown.body });
        chars += shown.body.length;
      } else {
        if (content.msgtype !== 'm.text' && content.msgtype !== 'm.emote') continue;
        const text = stripReplyFallback(content.body);
        const command = parseCommand(text);
        if (command?.name === 'new') break outer;
        if (command) continue;
        turns.push({ role: 'user', content: text });
        chars += text.length;
      }
      if (chars > charBudget) break outer;
    }
    if (!res.end || res.chunk.length === 0) break;
    from = res.end;
  }
  turns.reverse();
  return trimHistory(normalizeHistory(turns), budgetTokens);
}

export class ConversationMemory {
  constructor(
    private readonly store: ConversationStore,
    private readonly api: MatrixClientApi,
    private readonly botUserId: string,
    private readonly budgetTokens: number,
  ) {}

  async load(roomId: string, before: { eventId: string; ts: number }): Promise<ChatMessage[]> {
    const stored = await this.store.getHistory(roomId);
    if (stored) return stored;
    return rebuildHistory(this.api, roomId, this.botUserId, before, this.budgetTokens);
  }

  async save(roomId: string, messages: ChatMessage[]): Promise<void> {
    await this.store.setHistory(roomId, trimHistory(normalizeHistory(messages), this.budgetTokens));
  }
}
