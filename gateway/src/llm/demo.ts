// Offline provider for trying ClawChat without an API key: a deterministic, streamed reply that
// says what it is and how to configure a real model.
import { abortedError } from './errors.ts';
import { sleep } from './retry.ts';
import type { ChatMessage, CompletionRequest, LlmProvider } from './types.ts';

export interface DemoProviderOptions {
  /** Pause between streamed words (0 in tests). */
  delayMs?: number;
}

export const DEMO_MODEL = 'demo';
const ECHO_LIMIT = 280;

export class DemoProvider implements LlmProvider {
  readonly name = 'demo' as const;
  readonly defaultModel = DEMO_MODEL;
  private readonly delayMs: number;

  constructor(options: DemoProviderOptions = {}) {
    const delayMs = options.delayMs ?? 25;
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      throw new TypeError(`demo provider: delayMs must be a non-negative number, got ${delayMs}`);
    }
    this.delayMs = delayMs;
  }

  async *stream(request: CompletionRequest): AsyncGenerator<string, void, undefined> {
    const { signal } = request;
    for (const piece of splitWords(demoReply(request.messages))) {
      if (signal?.aborted) throw abortedError(signal.reason);
      if (this.delayMs > 0) await sleep(this.delayMs, signal);
      yield piece;
    }
    if (signal?.aborted) throw abortedError(signal.reason);
  }
}

/** The full text the demo provider streams for a conversation. */
export function demoReply(messages: readonly ChatMessage[]): string {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const said = lastUser ? lastUser.content.replace(/\s+/g, ' ').trim() : '';
  const words = said ? said.split(' ').length : 0;
  const echo = said.length > ECHO_LIMIT ? `${said.slice(0, ECHO_LIMIT)}…` : said;
  const understood = said
    ? `You said (${words} ${words === 1 ? 'word' : 'words'}):\n\n> ${echo}`
    : 'Your last message had no text I could read.';
  return [
    "Hello! I'm the **demo provider**: no language model is configured yet, so this is a canned reply.",
    '',
    understood,
    '',
    'To get real answers, configure a provider for the gateway:',
    '',
    '- **Anthropic**: set `ANTHROPIC_API_KEY` (and optionally `ANTHROPIC_MODEL`)',
    '- **OpenAI or compatible** (Ollama, vLLM, OpenClaw): set `LLM_PROVIDER=openai`, `OPENAI_BASE_URL` and `OPENAI_API_KEY`',
    '',
    'then restart the gateway.',
  ].join('\n');
}

/** Words with their trailing whitespace, so that the pieces concatenate back to the text. */
export function splitWords(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}
