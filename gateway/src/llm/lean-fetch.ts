// A `fetch` for the official LLM SDKs (`@anthropic-ai/sdk`, `openai`) that is cheap per stream.
// Node's global fetch wraps every response body in a WHATWG ReadableStream (plus a Request, a Response
// and their internal state), which costs about 190 KB and 60 µs of CPU per SSE event once thousands of
// streams are open. Both SDKs read a body through its async iterator when it has one, so this fetch
// dispatches on undici Clients directly and returns a minimal Response whose body is a queue of the
// Buffers undici hands over (`ResponseBody`): no Node Readable either, which `undici.request` would put
// in between (6–15% less CPU per SSE event than that, 4,000 streams in `sse-client-cost.ts`). The SDK's
// own SSE parsing, events, errors, retries and timeouts are unchanged.
// Its own keep-alive connections per provider (`ConnectionStack`): one per stream in progress (HTTP/1.1
// has one response at a time per connection), kept alive for the next request. Its HTTPS connections
// share one TLS context: without it Node builds one (trust store included) for every connection, which was
// 1.3 s of the stream thread in a profile of 2,500 new conversations over HTTPS (`alone.ts --llm-tls`).
// They also share one connector, as an undici Pool's connections do: its TLS session cache lets a new
// connection resume the session of an earlier one (a shorter handshake), and each connection does
// not carry a connector, session cache and FinalizationRegistry of its own.
import type { IncomingHttpHeaders } from 'node:http';
import { createSecureContext, type SecureContext } from 'node:tls';
import { buildConnector, type Dispatcher } from 'undici';
import { ConnectionStack } from './connection-stack.ts';
import { ResponseBody } from './response-body.ts';

export interface LeanFetchOptions {
  /** Idle keep-alive connections are closed after this (ms). */
  keepAliveTimeoutMs?: number;
  /**
   * The TLS context of every HTTPS connection. Default: one made here with Node's trust store (its
   * built-in CAs plus NODE_EXTRA_CA_CERTS), certificates verified as a plain `tls.connect` does.
   */
  secureContext?: SecureContext;
}

type RequestBody = string | Uint8Array | null | undefined;

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
    readonly body: ResponseBody,
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

/** The reason a request ends with when its signal aborts, as fetch gives it. */
function abortReason(signal: AbortSignal): Error {
  return (signal.reason as Error | undefined) ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * One request's handler: settles the fetch at the response's headers and feeds the body as it arrives.
 * A class rather than closures, so that what a stream in progress keeps is these few fields (not the
 * request's init, its body or its headers).
 */
class LeanRequest implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private body: ResponseBody | null = null;
  private readonly onAbort: (() => void) | null;

  constructor(
    private readonly url: string,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (response: LeanResponse) => void,
    private readonly reject: (error: unknown) => void,
    /** Called once, when the connection is free again. */
    private readonly settled: () => void,
  ) {
    this.onAbort = signal ? () => this.abort() : null;
    if (this.onAbort) signal!.addEventListener('abort', this.onAbort, { once: true });
  }

  private abort(): void {
    const reason = abortReason(this.signal!);
    this.controller?.abort(reason);
    // Not yet on a connection: the fetch fails now, the request as soon as it would start.
    this.reject(reason);
  }

  private release(): void {
    if (this.onAbort) this.signal!.removeEventListener('abort', this.onAbort);
    this.settled();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal?.aborted) controller.abort(abortReason(this.signal));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    if (statusCode < 200) return; // 1xx: the response is still to come
    this.body = new ResponseBody(controller);
    this.resolve(new LeanResponse(statusCode, responseHeaders(headers), this.url, this.body));
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.body?.push(chunk);
  }

  onResponseEnd(): void {
    this.release();
    this.body?.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.release();
    if (this.body) this.body.fail(error);
    else this.reject(error);
  }
}

/** One request on a connection of its own; resolves at the response's headers, its body fed as it arrives. */
function dispatchRequest(
  connections: ConnectionStack,
  url: string,
  init: RequestInit | undefined,
): Promise<LeanResponse> {
  const signal = init?.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const target = new URL(url);
  const options: Dispatcher.DispatchOptions = {
    path: `${target.pathname}${target.search}`,
    method: (init?.method ?? 'GET').toUpperCase() as Dispatcher.HttpMethod,
    headers: requestHeaders(init),
    body: init?.body as RequestBody,
  };
  const { origin } = target;
  const client = connections.checkout(origin);
  return new Promise((resolve, reject) => {
    client.dispatch(
      options,
      new LeanRequest(url, signal, resolve, reject, () => connections.checkin(origin, client)),
    );
  });
}

/** A fetch for the SDKs' `fetch` option; anything it does not handle goes to the global fetch. */
export function createLeanFetch(
  options: LeanFetchOptions = {},
): typeof fetch & { close(): Promise<void>; readonly connections: number } {
  const connections = new ConnectionStack({
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 30_000,
    connect: buildConnector({ secureContext: options.secureContext ?? createSecureContext() }),
  });
  const leanFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const body = init?.body as unknown;
    const simpleBody =
      body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
    if (input instanceof Request || !simpleBody) return fetch(input, init);
    const url = typeof input === 'string' ? input : input.href;
    return (await dispatchRequest(connections, url, init)) as unknown as Response;
  };
  return Object.defineProperties(
    leanFetch as typeof fetch & { close(): Promise<void>; readonly connections: number },
    {
      close: { value: () => connections.close() },
      connections: { get: () => connections.size },
    },
  );
}

/** The transport options both vendors' SDK clients (Anthropic, OpenAI) are built with. */
export function sdkTransportOptions(timeoutMs: number | undefined) {
  return {
    // One retry policy (ours) governs: the SDK's own retries would multiply with it.
    maxRetries: 0,
    // Streams read straight off undici's dispatcher rather than through the global fetch's web
    // streams: about a third of the memory and half the CPU per stream (see createLeanFetch).
    fetch: createLeanFetch(),
    // The SDK's per-HTTP-request timeout.
    ...(timeoutMs ? { timeout: timeoutMs } : {}),
  };
}
