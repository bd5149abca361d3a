// What the conversation layer needs from a language model, whatever the vendor.

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface CompletionRequest {
  model: string;
  system?: string;
  messages: ChatMessage[];
  maxTokens: number;
  /** Aborts the HTTP stream (used by `!stop` and shutdown). */
  signal?: AbortSignal;
  /** Told of each failed try that is retried (for metrics); the last failure is thrown instead. */
  onRetry?: (error: LlmError) => void;
}

export type ProviderName = 'anthropic' | 'openai' | 'demo';

/** Takes a stream's text deltas, in order. */
export type TextSink = (delta: string) => void;

export interface LlmProvider {
  readonly name: ProviderName;
  readonly defaultModel: string;
  /**
   * Streams the reply as text deltas. Throws `LlmError` on failure. Retries of 429/529/5xx
   * (honouring retry-after) happen inside, but only before the first delta was yielded:
   * a stream cut after text was seen throws `LlmError` of kind `stream_cut`.
   */
  stream(request: CompletionRequest): AsyncIterable<string>;
  /**
   * The same stream pushed: each delta handed to `onText` as it arrives, settling as `stream` does
   * (resolves at the end, rejects with the `LlmError`). Optional: a provider whose text arrives by
   * message (the stream threads) has it; `pushText` serves either kind.
   */
  streamTo?(request: CompletionRequest, onText: TextSink): Promise<void>;
  /**
   * Loads what streaming needs (the vendor's SDK, the stream threads), so that the first reply does not
   * wait for it; the gateway calls it before it takes work. Optional: without it, or before it
   * settles, the first stream loads what it needs itself.
   */
  load?(): Promise<void>;
}

export type LlmErrorKind =
  | 'rate_limited' // 429
  | 'overloaded' // 529 (Anthropic) / 503
  | 'server' // other 5xx
  | 'auth' // 401/403
  | 'bad_request' // other 4xx
  | 'network' // connection refused, DNS, timeout
  | 'stream_cut' // the stream ended early or broke after text had arrived
  | 'aborted'; // cancelled through the signal

export class LlmError extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message);
    this.name = 'LlmError';
  }

  get retryable(): boolean {
    return (
      this.kind === 'rate_limited' ||
      this.kind === 'overloaded' ||
      this.kind === 'server' ||
      this.kind === 'network'
    );
  }
}
