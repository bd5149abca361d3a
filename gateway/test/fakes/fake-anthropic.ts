// A fake Anthropic Messages API speaking the real SSE wire format, for the official SDK.
import { anthropicStreamClosing, anthropicStreamOpening, anthropicTextDelta, sse } from './anthropic-sse.ts';
import {
  type FakeLlmOptions,
  type FakeLlmServer,
  fakeId,
  type RecordedRequest,
  startFakeLlmServer,
  textOfContent,
  type WireFormat,
} from './fake-llm-core.ts';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'api_error',
  529: 'overloaded_error',
};

const ERROR_MESSAGES: Record<string, string> = {
  rate_limit_error: 'Number of request tokens has exceeded your per-minute rate limit',
  overloaded_error: 'Overloaded',
  api_error: 'Internal server error',
  authentication_error: 'invalid x-api-key',
};

const anthropicFormat: WireFormat = {
  basePath: '',
  matches: (path) => path === '/v1/messages',
  requestIdHeader: 'request-id',

  validate(body) {
    if (!body || typeof body !== 'object') return 'the body must be a JSON object';
    const b = body as Record<string, unknown>;
    if (typeof b.model !== 'string' || !b.model) return 'model: Field required';
    if (typeof b.max_tokens !== 'number') return 'max_tokens: Field required';
    if (!Array.isArray(b.messages) || b.messages.length === 0)
      return 'messages: at least one message is required';
    const first = b.messages[0] as { role?: unknown } | undefined;
    if (first?.role !== 'user') return 'messages: the first message must use the "user" role';
    return undefined;
  },

  parse(b) {
    const messages = (b.messages as { role: string; content: unknown }[]).map((m) => ({
      role: m.role,
      content: textOfContent(m.content),
    }));
    const system = b.system === undefined ? undefined : textOfContent(b.system);
    return {
      model: b.model as string,
      ...(system === undefined ? {} : { system }),
      messages,
      maxTokens: b.max_tokens as number,
      stream: b.stream === true,
    };
  },

  authorized: (headers, apiKey) =>
    headers['x-api-key'] === apiKey || headers.authorization === `Bearer ${apiKey}`,

  errorResponse(status, message) {
    const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
    const headers: Record<string, string> =
      status === 429 || status >= 500 ? { 'x-should-retry': 'true' } : { 'x-should-retry': 'false' };
    return {
      body: {
        type: 'error',
        error: { type, message: message ?? ERROR_MESSAGES[type] ?? `error ${status}` },
        request_id: fakeId('req_'),
      },
      headers,
    };
  },

  completeBody(request, text, id) {
    return {
      id,
      type: 'message',
      role: 'assistant',
      model: request.model,
      content: [{ type: 'text', text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: inputTokens(request), output_tokens: text.split(/\s+/).length },
    };
  },

  streamStart(request, id) {
    return anthropicStreamOpening(id, request.model, inputTokens(request)) + sse('ping', { type: 'ping' });
  },

  streamChunk(text) {
    return anthropicTextDelta(text);
  },

  streamEnd(_request, _id, outputTokens) {
    return anthropicStreamClosing(outputTokens);
  },

  streamError(errorType) {
    return sse('error', {
      type: 'error',
      error: { type: errorType, message: ERROR_MESSAGES[errorType] ?? errorType },
    });
  },
};

function inputTokens(request: RecordedRequest): number {
  let chars = request.system?.length ?? 0;
  for (const m of request.messages) chars += m.content.length;
  return Math.max(1, Math.ceil(chars / 4));
}

/** A fake Anthropic API; give `url` to the SDK as `baseURL`. */
export function startFakeAnthropic(options: FakeLlmOptions = {}): Promise<FakeLlmServer> {
  return startFakeLlmServer(anthropicFormat, options);
}
