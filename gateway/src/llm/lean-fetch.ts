// A `fetch` for the official LLM SDKs (`@anthropic-ai/sdk`, `openai`) that is cheap per stream.
// Node's global fetch wraps every response body in a WHATWG ReadableStream (plus a Request, a Response
// and their internal state), which costs about 190 KB and 60 µs of CPU per SSE event once thousands of
// streams are open. Both SDKs read a body through its async iterator when it has one, so this fetch
// is built on `undici.request` and returns a minimal Response whose body is undici's Node stream of
// Buffers: the SDK's own SSE parsing, events, errors, retries and timeouts are unchanged.
// One dedicated keep-alive Agent per provider: one connection per stream in progress (HTTP/1.1 has
// one response at a time per connection), kept alive for the next request. Its HTTPS connections share
// one TLS context: without it Node builds one (trust store included) for every connection, which was
// 1.3 s of the stream thread in a profile of 2,500 new conversations over HTTPS (`alone.ts --llm-tls`).
import type { Readable } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Agent, request } from 'undici';

export interface LeanFetchOptions {
  /** Idle keep-alive connections are closed after this (ms). */
  keepAliveTimeoutMs?: number;
  /** Most connections to one LLM origin (null: as many as streams in progress). */
  connections?: number | null;
  /**
   * The TLS context of every HTTPS connection. Default: one made here with Node's trust store (its
   * built-in CAs plus NODE_EXTRA_CA_CERTS), certificates verified as a plain `tls.connect` does.
   */
  secureContext?: SecureContext;
}

type RequestBody = string | Uint8Array | Readable | null | undefined;

/** What the SDKs use of a Response: status, headers, url, the body (async iterable) and text/json. */
class LeanResponse {
  readonly ok: boolean;
  readonly statusText = '';
  readonly redirected = false;
  readonly type = 'basic';
  private used = false;

  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly url: string,
    readonly body: Readable & AsyncIterable<Buffer>,
  ) {
    this.ok = status >= 200 && status < 300;
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    this.used = true;
    const chunks: Buffer[] = [];
    for await (const chunk of this.body) chunks.push(chunk);
    const all = Buffer.concat(chunks);
    return all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(await this.arrayBuffer());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async blob(): Promise<Blob> {
    return new Blob([await this.arrayBuffer()], { type: this.headers.get('content-type') ?? '' });
  }

  clone(): never {
    throw new TypeError('lean fetch: a response cannot be cloned');
  }
}

function requestHeaders(init: RequestInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const given = init?.headers;
  if (!given) return out;
  if (given instanceof Headers) {
    for (const [name, value] of given) out[name] = value;
  } else if (Array.isArray(given)) {
    for (const [name, value] of given) if (name !== undefined && value !== undefined) out[name] = value;
  } else {
    for (const [name, value] of Object.entries(given)) if (value !== undefined) out[name] = String(value);
  }
  return out;
}

function responseHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.append(name, value);
  }
  return headers;
}

/** A fetch for the SDKs' `fetch` option; anything it does not handle goes to the global fetch. */
export function createLeanFetch(options: LeanFetchOptions = {}): typeof fetch & { close(): Promise<void> } {
  const agent = new Agent({
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    connections: options.connections ?? null,
    pipelining: 1,
    connect: { secureContext: options.secureContext ?? createSecureContext() },
  });
  const leanFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const body = init?.body as unknown;
    const simpleBody =
      body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
    if (input instanceof Request || !simpleBody) return fetch(input, init);
    const url = typeof input === 'string' ? input : input.href;
    const res = await request(url, {
      method: (init?.method ?? 'GET').toUpperCase() as 'GET',
      headers: requestHeaders(init),
      body: body as RequestBody,
      signal: init?.signal ?? undefined,
      dispatcher: agent,
    });
    const response = new LeanResponse(
      res.statusCode,
      responseHeaders(res.headers),
      url,
      res.body as unknown as Readable & AsyncIterable<Buffer>,
    );
    return response as unknown as Response;
  };
  return Object.assign(leanFetch as typeof fetch, { close: () => agent.close() });
}

/** The transport options both vendors' SDK clients (Anthropic, OpenAI) are built with. */
export function sdkTransportOptions(timeoutMs: number | undefined) {
  return {
    // One retry policy (ours) governs: the SDK's own retries would multiply with it.
    maxRetries: 0,
    // Streams read through undici.request (a Node stream body) rather than the global fetch's web
    // streams: about a third of the memory and half the CPU per stream (see createLeanFetch).
    fetch: createLeanFetch(),
    // The SDK's per-HTTP-request timeout.
    ...(timeoutMs ? { timeout: timeoutMs } : {}),
  };
}
