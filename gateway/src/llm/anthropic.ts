// Anthropic Messages API, streamed through the official SDK.
import type Anthropic from '@anthropic-ai/sdk';
import { abortedError, fromSdkError, fromSdkStreamError, streamCutError } from './errors.ts';
import { sdkTransportOptions } from './lean-fetch.ts';
import { pushWithRetries, type RetryPolicy, resolveRetryPolicy, SinkError } from './retry.ts';
import { type LoadedSdk, once } from './sdk-load.ts';
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
  private readonly sdk: () => Promise<LoadedSdk<Anthropic>>;

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

  // Pushed rather than yielded: the SDK's stream is the only async iteration per SSE event.
  streamTo(request: CompletionRequest, onText: TextSink): Promise<void> {
    return pushWithRetries((sink) => this.attempt(request, sink), this.retry, request, onText);
  }

  private async attempt(request: CompletionRequest, onText: TextSink): Promise<void> {
    const { signal } = request;
    const { client, errors } = await this.sdk();
    let events: AsyncIterable<Anthropic.RawMessageStreamEvent>;
    try {
      events = await client.messages.create(
        {
          model: request.model || this.defaultModel,
          max_tokens: request.maxTokens,
          messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
          ...(request.system ? { system: request.system } : {}),
          stream: true,
        },
        { signal: signal ?? null },
      );
    } catch (err) {
      throw fromSdkError('anthropic', errors, err, signal);
    }

    let sawText = false;
    let stopped = false;
    try {
      for await (const event of events) {
        if (signal?.aborted) break; // text parsed from what had arrived is not handed on
        if (event.type === 'content_block_delta') {
          if (event.delta.type === 'text_delta' && event.delta.text) {
            sawText = true;
            onText(event.delta.text);
          }
        } else if (event.type === 'message_stop') {
          stopped = true;
        }
      }
    } catch (err) {
      if (err instanceof SinkError) throw err;
      throw fromSdkStreamError('anthropic', errors, err, signal, sawText);
    }
    // The SDK ends iteration quietly when the request was aborted.
    if (signal?.aborted) throw abortedError(signal.reason);
    // Retried by pushWithRetries when no text had arrived.
    if (!stopped) throw streamCutError('anthropic', 'the stream ended without message_stop');
  }
}
