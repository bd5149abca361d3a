// A fake OpenAI chat-completions API speaking the real SSE wire format (chat.completion.chunk,
// ending `data: [DONE]`), for the official SDK.
import {
  type FakeLlmOptions,
  type FakeLlmServer,
  startFakeLlmServer,
  textOfContent,
  type WireFormat,
} from './fake-llm-core.ts';

const ERRORS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Invalid request' },
  401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided' },
  404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist' },
  429: { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests' },
  500: { type: 'server_error', code: null, message: 'The server had an error while processing your request' },
  503: {
    type: 'server_error',
    code: null,
    message: 'The engine is currently overloaded, please try again later',
  },
};

function data(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

const created = () => Math.floor(Date.now() / 1000);

function chunk(id: string, model: string, delta: Record<string, unknown>, finishReason: string | null) {
  return {
    id,
    object: 'chat.completion.chunk',
    created: created(),
    model,
    system_fingerprint: 'fp_fake',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}

const openaiFormat: WireFormat = {
  basePath: '/v1',
  matches: (path) => path === '/v1/chat/completions' || path === '/chat/completions',
  requestIdHeader: 'x-request-id',

  validate(body) {
    if (!body || typeof body !== 'object') return 'the body must be a JSON object';
    const b = body as Record<string, unknown>;
    if (typeof b.model !== 'string' || !b.model) return 'you must provide a model parameter';
    if (!Array.isArray(b.messages) || b.messages.length === 0) return "'messages' must be a non-empty array";
    return undefined;
  },

  parse(b) {
    const all = (b.messages as { role: string; content: unknown }[]).map((m) => ({
      role: m.role,
      content: textOfContent(m.content),
    }));
    const system = all
      .filter((m) => m.role === 'system' || m.role === 'developer')
      .map((m) => m.content)
      .join('\n');
    const maxTokens = (b.max_completion_tokens ?? b.max_tokens) as number | undefined;
    return {
      model: b.model as string,
      ...(system ? { system } : {}),
      messages: all.filter((m) => m.role !== 'system' && m.role !== 'developer'),
      ...(typeof maxTokens === 'number' ? { maxTokens } : {}),
      stream: b.stream === true,
    };
  },

  authorized: (headers, apiKey) => headers.authorization === `Bearer ${apiKey}`,

  errorResponse(status, message) {
    const known = ERRORS[status] ?? {
      type: status >= 500 ? 'server_error' : 'invalid_request_error',
      code: null,
      message: `error ${status}`,
    };
    return {
      body: { error: { message: message ?? known.message, type: known.type, param: null, code: known.code } },
    };
  },

  completeBody(request, text, id) {
    return {
      id,
      object: 'chat.completion',
      created: created(),
      model: request.model,
      choices: [
        { index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 1, completion_tokens: text.split(/\s+/).length, total_tokens: 1 },
    };
  },

  streamStart(request, id) {
    return data(chunk(id, request.model, { role: 'assistant', content: '' }, null));
  },

  streamChunk(text, id, model) {
    return data(chunk(id, model, { content: text }, null));
  },

  streamEnd(request, id) {
    return `${data(chunk(id, request.model, {}, 'stop'))}data: [DONE]\n\n`;
  },

  streamError(errorType) {
    return data({
      error: { message: `stream error: ${errorType}`, type: errorType, param: null, code: null },
    });
  },
};

/** A fake OpenAI-compatible API; `url` ends in `/v1`, as the SDK's `baseURL` expects. */
export function startFakeOpenAI(options: FakeLlmOptions = {}): Promise<FakeLlmServer> {
  return startFakeLlmServer(openaiFormat, options);
}
