// OpenAI-compatible chat completions (OpenAI, Ollama, vLLM, an OpenClaw gateway), streamed through
// the official SDK: it makes and checks the request, and its events are decoded as they arrive
// (sse-events.ts).
import type OpenAI from 'openai';
import { sdkTransportOptions } from './lean-fetch.ts';
import { pushWithRetries, type RetryPolicy, resolveRetryPolicy } from './retry.ts';
import { type LoadedSdk, once } from './sdk-load.ts';
import { streamSse } from './sse-events.ts';
import { pullText } from './text-push.ts';
import type { CompletionRequest, LlmProvider, TextSink } from './types.ts';

export const OPENAI_DEFAULT_MODEL = 'gpt-4.1-mini';
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAiProviderOptions {
  /** Optional: local servers (Ollama, vLLM) accept any key. */
  apiKey?: string;
  /** Including the `/v1` path, e.g. `http://127.0.0.1:11434/v1`. */
  baseUrl?: string;
  model?: string;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * OpenAI's own API wants `max_completion_tokens` (its reasoning models reject `max_tokens`);
   * most compatible servers only know `max_tokens`. Default: chosen from the base URL.
   */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
}

export class OpenAiProvider implements LlmProvider {
  readonly name = 'openai' as const;
  readonly defaultModel: string;
  private readonly sdk: () => Promise<LoadedSdk<OpenAI, typeof import('openai')>>;
  private readonly retry: RetryPolicy;
  private readonly maxTokensField: 'max_tokens' | 'max_completion_tokens';

  constructor(options: OpenAiProviderOptions = {}) {
    const baseURL = options.baseUrl || OPENAI_DEFAULT_BASE_URL;
    this.defaultModel = options.model || OPENAI_DEFAULT_MODEL;
    this.retry = resolveRetryPolicy(options.retry);
    this.maxTokensField =
      options.maxTokensField ??
      (new URL(baseURL).hostname === 'api.openai.com' ? 'max_completion_tokens' : 'max_tokens');
    this.sdk = once(async () => {
      const sdk = await import('openai');
      return {
        client: new sdk.default({
          // The SDK refuses to start without a key; compatible local servers ignore it.
          apiKey: options.apiKey || 'no-key',
          baseURL,
          ...sdkTransportOptions(options.timeoutMs),
        }),
        errors: sdk,
      };
    });
  }

  async load(): Promise<void> {
    await this.sdk();
  }

  stream(request: CompletionRequest): AsyncIterable<string> {
    return pullText((r, onText) => this.streamTo(r, onText), request);
  }

  // Pushed rather than yielded: no async iteration per SSE event.
  streamTo(request: CompletionRequest, onText: TextSink): Promise<void> {
    return pushWithRetries((sink) => this.attempt(request, sink), this.retry, request, onText);
  }

  private async attempt(request: CompletionRequest, onText: TextSink): Promise<void> {
    const { signal } = request;
    const { client, errors } = await this.sdk();
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [];
    if (request.system) messages.push({ role: 'system', content: request.system });
    for (const m of request.messages) messages.push({ role: m.role, content: m.content });
    await streamSse(
      {
        provider: 'openai',
        errors,
        signal,
        request: () =>
          client.chat.completions
            .create(
              {
                model: request.model || this.defaultModel,
                messages,
                stream: true,
                [this.maxTokensField]: request.maxTokens,
              },
              { signal: signal ?? null },
            )
            .asResponse(),
        decode: (event, response, emit) => {
          if (event.data === '[DONE]') return undefined;
          let data: (OpenAI.Chat.ChatCompletionChunk & { error?: unknown }) | undefined;
          try {
            data = JSON.parse(event.data);
          } catch {
            throw new SyntaxError('Error reading response: malformed server-sent event JSON.');
          }
          // As the SDK's own stream reports them: an APIError without a status.
          if (event.event === 'error' || data?.error) {
            throw new errors.APIError(undefined, data?.error ?? data, undefined, response.headers);
          }
          const choice = data?.choices?.[0];
          if (!choice) return undefined; // e.g. the trailing usage chunk
          if (choice.delta?.content) emit(choice.delta.content);
          return choice.finish_reason ? 'end' : undefined;
        },
        // Every compatible server sends a finish_reason before `[DONE]`. Retried by pushWithRetries
        // when no text had arrived.
        cutDetail: 'the stream ended without a finish_reason',
      },
      onText,
    );
  }
}
