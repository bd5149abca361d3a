// Anthropic Messages API, streamed through the official SDK: it makes and checks the request, and its
// events are decoded as they arrive (sse-events.ts).
import type Anthropic from '@anthropic-ai/sdk';
import { safeJson } from './errors.ts';
import { sdkTransportOptions } from './lean-fetch.ts';
import { pushWithRetries, type RetryPolicy, resolveRetryPolicy } from './retry.ts';
import { type LoadedSdk, once } from './sdk-load.ts';
import { streamSse } from './sse-events.ts';
import { pullText } from './text-push.ts';
import type { CompletionRequest, LlmProvider, TextSink } from './types.ts';

// A current model of the SDK's list (a deprecated one makes the SDK warn on every request).
export const ANTHROPIC_DEFAULT_MODEL = 'claude-sonnet-5-5';
export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

export interface AnthropicProviderOptions {
  apiKey: string;
  /** The SDK's `baseURL` (a proxy, a gateway, a test fake). */
  baseUrl?: string;
  model?: string;
  /** Per-HTTP-request timeout of the SDK. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
}

export class AnthropicProvider implements LlmProvider {
  readonly name = 'anthropic' as const;
  readonly defaultModel: string;
  private readonly retry: RetryPolicy;
  private readonly sdk: () => Promise<LoadedSdk<Anthropic, typeof import('@anthropic-ai/sdk')>>;

  constructor(options: AnthropicProviderOptions) {
    if (!options.apiKey) throw new TypeError('anthropic provider: apiKey is required (ANTHROPIC_API_KEY)');
    const { apiKey } = options;
    this.defaultModel = options.model || ANTHROPIC_DEFAULT_MODEL;
    this.retry = resolveRetryPolicy(options.retry);
    this.sdk = once(async () => {
      const sdk = await import('@anthropic-ai/sdk');
      return {
        client: new sdk.default({
          apiKey,
          baseURL: options.baseUrl || ANTHROPIC_DEFAULT_BASE_URL,
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
    await streamSse(
      {
        provider: 'anthropic',
        errors,
        signal,
        request: () =>
          client.messages
            .create(
              {
                model: request.model || this.defaultModel,
                max_tokens: request.maxTokens,
                messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
                ...(request.system ? { system: request.system } : {}),
                stream: true,
              },
              { signal: signal ?? null },
            )
            .asResponse(),
        decode: (event, response, emit) => {
          switch (event.event) {
            case 'content_block_delta': {
              const { delta } = JSON.parse(event.data) as Anthropic.RawContentBlockDeltaEvent;
              if (delta.type === 'text_delta' && delta.text) emit(delta.text);
              return undefined;
            }
            case 'message_stop':
              return 'end';
            case 'error': {
              // As the SDK's own stream reports it: an APIError without a status, typed by the body.
              const body = safeJson(event.data) as { error?: { type?: Anthropic.ErrorType } } | undefined;
              throw new errors.APIError(
                undefined,
                body ?? event.data,
                undefined,
                response.headers,
                body?.error?.type,
              );
            }
            default:
              return undefined; // ping, message_start, content_block_start/stop, message_delta
          }
        },
        // Retried by pushWithRetries when no text had arrived.
        cutDetail: 'the stream ended without message_stop',
      },
      onText,
    );
  }
}
