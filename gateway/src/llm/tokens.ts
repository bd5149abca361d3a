// A vendor-neutral token estimate, good enough to keep a prompt inside a budget without shipping
// a tokenizer per model. It errs on the high side so that trimmed history fits.
import type { ChatMessage } from './types.ts';

/** Per-message overhead of the chat formats (role markers, separators). */
const MESSAGE_OVERHEAD_TOKENS = 4;

/**
 * About 3.5 characters per token for Latin text (real tokenizers average ~4: erring high); CJK and other wide scripts run close to one token
 * per character, so they are counted separately.
 */
export function estimateTokens(text: string): number {
  if (!text) return 0;
  let wide = 0;
  for (const ch of text) {
    if ((ch.codePointAt(0) ?? 0) > 0x2e7f) wide++;
  }
  const narrow = text.length - wide;
  return Math.ceil(narrow / 3.5) + wide;
}

export function estimateMessageTokens(message: ChatMessage): number {
  return estimateTokens(message.content) + MESSAGE_OVERHEAD_TOKENS;
}

/**
 * The newest messages that fit in `budgetTokens`, in order. The result never starts with an
 * assistant turn (the vendors require a user turn first). The newest message is always kept, even
 * alone over budget: answering with a truncated context beats not answering.
 */
export function trimHistory(messages: readonly ChatMessage[], budgetTokens: number): ChatMessage[] {
  if (!Number.isFinite(budgetTokens) || budgetTokens < 0) {
    throw new TypeError(`trimHistory: budgetTokens must be a non-negative number, got ${budgetTokens}`);
  }
  let start = messages.length;
  let used = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const cost = estimateMessageTokens(messages[i]!);
    if (used + cost > budgetTokens && start < messages.length) break;
    used += cost;
    start = i;
  }
  while (start < messages.length && messages[start]!.role === 'assistant') start++;
  return messages.slice(start);
}
