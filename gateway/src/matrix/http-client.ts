// A lean HTTP client for the homeserver: undici pools with keep-alive and a bounded number of
// connections, JSON in and out, typed errors, and bounded retries for requests that are safe to repeat.
// Separate lanes (pools), so that the sends users wait for (reply posts and edits) and the reads a
// waiting reply needs (member counts, history) never queue behind bookkeeping (joins, typing,
// receipts) when thousands of replies start at once.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { LatestWins, type UpdateOutcome } from './latest-wins.ts';

export class MatrixApiError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'MatrixApiError';
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Access token; defaults to the client's. */
  token?: string;
  /**
   * Attempts for transient failures (network, 429, 5xx). Only for requests that are safe to repeat
   * (GET, or PUT with a transaction id). Default 1 (no retry).
   */
  attempts?: number;
  /** Label for metrics. */
  endpoint?: string;
  /**
   * `interactive`: the messages users see (own connections); `critical`: reads a waiting reply needs
   * before its LLM call (room size, history), own connections so they never queue behind joins and
   * other bookkeeping; `background` (default): the rest. Typing and receipts go through `sendState`,
   * on a lane of their own with fewer connections.
   */
  lane?: 'interactive' | 'critical' | 'background';
  timeoutMs?: number;
}

/** What a request is sent with inside the client: any lane, `bestEffort` (sendState's) included. */
type SendOptions = Omit<RequestOptions, 'lane'> & { lane?: RequestOptions['lane'] | 'bestEffort' };

export interface StateOptions extends Omit<RequestOptions, 'lane' | 'attempts'> {
  /** The state the request sets (a room's typing, a thread's receipt): newer requests of it replace waiting ones. */
  key: string;
  /** May be dropped when the lane is overloaded (a typing start or refresh, a receipt; not a typing stop). */
  sheddable: boolean;
}

export interface HttpClientOptions {
  baseUrl: string;
  accessToken: string;
  connections: number;
  /** Called after every request, for metrics. */
  onResult?: (endpoint: string, outcome: string) => void;
}

export class MatrixHttpClient {
  private readonly interactive: Pool;
  private readonly critical: Pool;
  private readonly background: Pool;
  private readonly bestEffort: Pool;
  private readonly latest: LatestWins;
  private readonly basePath: string;

  constructor(private readonly options: HttpClientOptions) {
    const url = new URL(options.baseUrl);
    this.basePath = url.pathname.replace(/\/$/, '');
    const poolOptions = {
      keepAliveTimeout: 30_000,
      pipelining: 1,
      headersTimeout: 120_000,
      bodyTimeout: 120_000,
    };
    this.interactive = new Pool(url.origin, { ...poolOptions, connections: options.connections });
    this.critical = new Pool(url.origin, { ...poolOptions, connections: options.connections });
    this.background = new Pool(url.origin, {
      ...poolOptions,
      connections: options.connections,
    });
    const fewer = Math.max(2, Math.ceil(options.connections / 4));
    this.bestEffort = new Pool(url.origin, { ...poolOptions, connections: fewer });
    this.latest = new LatestWins(fewer * 16);
  }

  async request<T = Record<string, unknown>>(
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    options: RequestOptions = {},
  ): Promise<T> {
    return this.withRetries<T>(method, path, options);
  }

  /**
   * A request that sets state where only the newest value counts (typing, read receipts), on the
   * best-effort lane, ordered and coalesced per key (LatestWins). Resolves `sent`, or `superseded` /
   * `dropped` when it was not sent; a failure rejects as `request` does.
   */
  async sendState(method: 'PUT' | 'POST', path: string, options: StateOptions): Promise<UpdateOutcome> {
    const { key, sheddable, ...rest } = options;
    const outcome = await this.latest.run(
      key,
      async () => {
        await this.withRetries(method, path, { ...rest, lane: 'bestEffort' });
      },
      sheddable,
    );
    if (outcome !== 'sent') this.options.onResult?.(options.endpoint ?? method, outcome);
    return outcome;
  }

  private async withRetries<T>(
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    options: SendOptions,
  ): Promise<T> {
    const attempts = Math.max(1, options.attempts ?? 1);
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return await this.once<T>(method, path, options);
      } catch (error) {
        lastError = error;
        const retryable = !(error instanceof MatrixApiError) || error.status === 429 || error.status >= 500;
        if (!retryable || attempt === attempts) break;
        const backoff =
          error instanceof MatrixApiError && error.retryAfterMs !== undefined
            ? Math.min(error.retryAfterMs, 30_000)
            : Math.min(250 * 2 ** (attempt - 1), 5_000) * (0.5 + Math.random() / 2);
        await sleep(backoff);
      }
    }
    throw lastError;
  }

  private async once<T>(method: string, path: string, options: SendOptions): Promise<T> {
    const endpoint = options.endpoint ?? method;
    let search = '';
    if (options.query) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(options.query)) {
        if (value !== undefined) params.set(key, String(value));
      }
      const qs = params.toString();
      if (qs) search = `?${qs}`;
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${options.token ?? this.options.accessToken}`,
      accept: 'application/json',
    };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    let response: Awaited<ReturnType<Pool['request']>>;
    const pool =
      options.lane === 'interactive'
        ? this.interactive
        : options.lane === 'critical'
          ? this.critical
          : options.lane === 'bestEffort'
            ? this.bestEffort
            : this.background;
    try {
      response = await pool.request({
        method: method as 'GET',
        path: `${this.basePath}${path}${search}`,
        headers,
        body,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
    } catch (error) {
      this.options.onResult?.(endpoint, 'network_error');
      throw error;
    }
    const textBody = await response.body.text();
    let json: Record<string, unknown> = {};
    if (textBody) {
      try {
        json = JSON.parse(textBody);
      } catch {
        json = {};
      }
    }
    if (response.statusCode >= 400) {
      this.options.onResult?.(endpoint, String(response.statusCode));
      const retryAfterHeader = Number(response.headers['retry-after']);
      const retryAfterMs =
        typeof json.retry_after_ms === 'number'
          ? json.retry_after_ms
          : Number.isFinite(retryAfterHeader)
            ? retryAfterHeader * 1000
            : undefined;
      throw new MatrixApiError(
        response.statusCode,
        typeof json.errcode === 'string' ? json.errcode : 'M_UNKNOWN',
        `${method} ${path.split('?')[0]} failed with ${response.statusCode}: ${typeof json.error === 'string' ? json.error : textBody.slice(0, 200)}`,
        retryAfterMs,
      );
    }
    this.options.onResult?.(endpoint, 'ok');
    return json as T;
  }

  async close(): Promise<void> {
    await Promise.all([
      this.interactive.close(),
      this.critical.close(),
      this.background.close(),
      this.bestEffort.close(),
    ]);
  }
}
