// Machinery shared by the fake LLM servers: an HTTP server on 127.0.0.1, a per-request failure
// script, token pacing, request recording. The wire formats live in fake-anthropic.ts and
// fake-openai.ts. Lean on purpose: the benchmark drives thousands of concurrent streams through it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake does with one request, chosen by the request's index (0-based) in `script`. */
export type FailureStep =
  /** A normal streamed reply. */
  | 'ok'
  /** Accept the request and never answer (until the client gives up or the server closes). */
  | 'hang'
  /** An HTTP error before any streaming: 429 (with retry-after), 529 overloaded, 500, 503, 401... */
  | { status: number; retryAfter?: number; retryAfterMs?: number; message?: string }
  /**
   * Stream `cut` content chunks, then: `drop` closes the connection mid-body (default), `end` ends
   * the HTTP response cleanly but without the terminal event, `hang` stalls forever.
   */
  | { cut: number; mode?: 'drop' | 'end' | 'hang' }
  /** Stream `afterChunks` chunks, then an in-stream error event of this vendor error type. */
  | { streamError: string; afterChunks?: number };

export interface RecordedRequest {
  index: number;
  /** Epoch ms when the request body had arrived. */
  receivedAt: number;
  path: string;
  model: string;
  system?: string;
  messages: { role: string; content: string }[];
  maxTokens?: number;
  stream: boolean;
  headers: Record<string, string>;
}

export interface FakeLlmOptions {
  /** The reply's text, or a function of the request. Default: a fixed sentence. */
  reply?: string | ((request: RecordedRequest) => string);
  /** Delay before the first text chunk. */
  timeToFirstTokenMs?: number;
  /** Pace of the text; 0 or absent sends everything at once. */
  tokensPerSecond?: number;
  /** Tokens (words with their trailing space) per streamed chunk. Default 1. */
  chunkSize?: number;
  /** Behaviour per request index; requests past the end of the script get 'ok'. */
  script?: FailureStep[];
  /** Keep every request in `requests` (default true; the benchmark turns it off). */
  recordRequests?: boolean;
  /** When set, requests must carry this API key, or get a 401. */
  apiKey?: string;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
}

export interface FakeLlmServer {
  /** The base URL to give the SDK (`baseURL`). */
  url: string;
  port: number;
  /** Recorded requests, in arrival order. */
  requests: RecordedRequest[];
  /** Requests received so far (counted even when not recorded). */
  readonly requestCount: number;
  /** Streams currently open. */
  readonly activeStreams: number;
  close(): Promise<void>;
}

export const DEFAULT_FAKE_REPLY = 'Hello from the fake model. This reply was streamed token by token.';

/** How one vendor's wire format is spoken. */
export interface WireFormat {
  /** Base path the SDK's baseURL must include (`/v1` for OpenAI, '' for Anthropic). */
  basePath: string;
  /** Request paths answered, relative to the origin. */
  matches(path: string): boolean;
  /** Validates the body; returns a message for a 400 on bad input. */
  validate(body: unknown): string | undefined;
  parse(
    body: Record<string, unknown>,
  ): Pick<RecordedRequest, 'model' | 'system' | 'messages' | 'maxTokens' | 'stream'>;
  authorized(headers: IncomingMessage['headers'], apiKey: string): boolean;
  requestIdHeader: string;
  /** JSON body and extra headers of an HTTP error. */
  errorResponse(
    status: number,
    message: string | undefined,
  ): { body: unknown; headers?: Record<string, string> };
  /** Non-streaming answer (`stream: false`). */
  completeBody(request: RecordedRequest, text: string, id: string): unknown;
  /** SSE text sent before the first chunk. */
  streamStart(request: RecordedRequest, id: string): string;
  /** SSE text of one chunk of the reply. */
  streamChunk(text: string, id: string, model: string): string;
  /** SSE text after the last chunk, terminal events included. */
  streamEnd(request: RecordedRequest, id: string, outputTokens: number): string;
  /** SSE text of an in-stream error. */
  streamError(errorType: string, id: string): string;
}

let idCounter = 0;
export function fakeId(prefix: string): string {
  idCounter = (idCounter + 1) % 1e9;
  return `${prefix}${Date.now().toString(36)}${idCounter.toString(36).padStart(6, '0')}`;
}

/** Words with their trailing whitespace: concatenated they give back the text exactly. */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

export function chunkTokens(tokens: string[], chunkSize: number): string[] {
  if (chunkSize <= 1) return tokens;
  const chunks: string[] = [];
  for (let i = 0; i < tokens.length; i += chunkSize) chunks.push(tokens.slice(i, i + chunkSize).join(''));
  return chunks;
}

export function textOfContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) =>
        part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string'
          ? (part as { text: string }).text
          : '',
      )
      .join('');
  }
  return '';
}

function validateOptions(options: FakeLlmOptions): void {
  const nonNegative = ['timeToFirstTokenMs', 'tokensPerSecond'] as const;
  for (const key of nonNegative) {
    const value = options[key];
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
      throw new TypeError(`fake LLM server: ${key} must be a non-negative number, got ${value}`);
    }
  }
  if (options.chunkSize !== undefined && (!Number.isInteger(options.chunkSize) || options.chunkSize < 1)) {
    throw new TypeError(`fake LLM server: chunkSize must be a positive integer, got ${options.chunkSize}`);
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startFakeLlmServer(
  format: WireFormat,
  options: FakeLlmOptions = {},
): Promise<FakeLlmServer> {
  validateOptions(options);
  const requests: RecordedRequest[] = [];
  const record = options.recordRequests ?? true;
  const chunkSize = options.chunkSize ?? 1;
  const ttft = options.timeToFirstTokenMs ?? 0;
  const tps = options.tokensPerSecond ?? 0;
  const chunkIntervalMs = tps > 0 ? (chunkSize / tps) * 1000 : 0;
  let requestCount = 0;
  let activeStreams = 0;

  function sendError(
    res: ServerResponse,
    status: number,
    message: string | undefined,
    extra?: Record<string, string>,
  ) {
    const { body, headers } = format.errorResponse(status, message);
    const payload = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      [format.requestIdHeader]: fakeId('req_'),
      ...headers,
      ...extra,
    });
    res.end(payload);
  }

  async function stream(res: ServerResponse, request: RecordedRequest, text: string, step: FailureStep) {
    const id = fakeId(format.basePath ? 'chatcmpl-' : 'msg_');
    const chunks = chunkTokens(tokenize(text), chunkSize);
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    activeStreams++;
    try {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        [format.requestIdHeader]: fakeId('req_'),
      });
      res.write(format.streamStart(request, id));
      if (ttft > 0) await delay(ttft);

      const cutAt = typeof step === 'object' && 'cut' in step ? step.cut : undefined;
      const errorAt = typeof step === 'object' && 'streamError' in step ? (step.afterChunks ?? 0) : undefined;
      const stopAt = Math.min(
        chunks.length,
        cutAt ?? Number.POSITIVE_INFINITY,
        errorAt ?? Number.POSITIVE_INFINITY,
      );

      if (chunkIntervalMs === 0) {
        let batch = '';
        for (let i = 0; i < stopAt; i++) batch += format.streamChunk(chunks[i]!, id, request.model);
        if (batch) res.write(batch);
      } else {
        for (let i = 0; i < stopAt && !closed; i++) {
          if (i > 0) await delay(chunkIntervalMs);
          if (closed) break;
          res.write(format.streamChunk(chunks[i]!, id, request.model));
        }
      }
      if (closed) return;

      if (errorAt !== undefined && typeof step === 'object' && 'streamError' in step) {
        res.end(format.streamError(step.streamError, id));
      } else if (cutAt !== undefined && typeof step === 'object' && 'cut' in step) {
        const mode = step.mode ?? 'drop';
        if (mode === 'end') {
          res.end();
        } else if (mode === 'drop') {
          // Let the chunks reach the client, then close the TCP connection mid-body.
          await new Promise<void>((resolve) => res.write('', () => resolve()));
          await delay(20);
          res.socket?.end();
          res.socket?.destroySoon();
        }
        // 'hang': leave the stream open.
      } else {
        res.end(format.streamEnd(request, id, chunks.length));
      }
    } finally {
      activeStreams--;
    }
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'POST' || !format.matches(path)) {
      sendError(res, 404, `no route for ${req.method} ${path}`);
      return;
    }
    const index = requestCount++;
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8'));
      } catch {
        sendError(res, 400, 'the request body is not valid JSON');
        return;
      }
      const invalid = format.validate(body);
      if (invalid) {
        sendError(res, 400, invalid);
        return;
      }
      if (options.apiKey !== undefined && !format.authorized(req.headers, options.apiKey)) {
        sendError(res, 401, 'invalid API key');
        return;
      }
      const request: RecordedRequest = {
        index,
        receivedAt: Date.now(),
        path,
        ...format.parse(body as Record<string, unknown>),
        headers: record ? flattenHeaders(req.headers) : {},
      };
      if (record) requests.push(request);

      const step = options.script?.[index] ?? 'ok';
      if (step === 'hang') return;
      if (typeof step === 'object' && 'status' in step) {
        const extra: Record<string, string> = {};
        if (step.retryAfter !== undefined) extra['retry-after'] = String(step.retryAfter);
        if (step.retryAfterMs !== undefined) extra['retry-after-ms'] = String(step.retryAfterMs);
        sendError(res, step.status, step.message, extra);
        return;
      }
      const text =
        typeof options.reply === 'function' ? options.reply(request) : (options.reply ?? DEFAULT_FAKE_REPLY);
      if (!request.stream) {
        const payload = JSON.stringify(format.completeBody(request, text, fakeId('msg_')));
        res.writeHead(200, { 'content-type': 'application/json', [format.requestIdHeader]: fakeId('req_') });
        res.end(payload);
        return;
      }
      stream(res, request, text, step).catch((err: unknown) => {
        res.destroy(err instanceof Error ? err : new Error(String(err)));
      });
    });
  });
  server.keepAliveTimeout = 30_000;
  server.requestTimeout = 0;
  server.maxHeadersCount = 200;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: options.port ?? 0, backlog: 4096 }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${format.basePath}`,
    port,
    requests,
    get requestCount() {
      return requestCount;
    },
    get activeStreams() {
      return activeStreams;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
