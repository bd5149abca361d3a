// Maps HTTP failures of any vendor onto `LlmError` kinds, so that one retry policy governs them all.
import { LlmError, type LlmErrorKind } from './types.ts';

/** The kind for an HTTP status, or for a vendor error type when the error arrived inside an SSE stream. */
export function kindForStatus(status: number | undefined, errorType?: string | null): LlmErrorKind {
  if (status === undefined) {
    if (errorType === 'overloaded_error') return 'overloaded';
    if (errorType === 'rate_limit_error') return 'rate_limited';
    if (errorType === 'authentication_error' || errorType === 'permission_error') return 'auth';
    if (errorType === 'invalid_request_error') return 'bad_request';
    return 'server';
  }
  if (status === 429) return 'rate_limited';
  if (status === 529 || status === 503) return 'overloaded';
  if (status >= 500) return 'server';
  if (status === 401 || status === 403) return 'auth';
  // 408 (request timeout) and 409 (lock timeout) are transient on both vendors' APIs.
  if (status === 408 || status === 409) return 'server';
  return 'bad_request';
}

/** `retry-after-ms` (OpenAI, Anthropic) wins over `retry-after` (seconds or an HTTP date). */
export function retryAfterMsFromHeaders(headers: Headers | undefined | null): number | undefined {
  if (!headers || typeof headers.get !== 'function') return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null) {
    const value = Number.parseFloat(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = headers.get('retry-after');
  if (after !== null) {
    const seconds = Number.parseFloat(after);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  return undefined;
}

export function abortedError(cause?: unknown): LlmError {
  return new LlmError('aborted', 'the completion was aborted', { cause });
}

export function streamCutError(provider: string, detail: string, cause?: unknown): LlmError {
  return new LlmError('stream_cut', `${provider}: the reply stream broke off (${detail})`, { cause });
}

/** Fields shared by the Stainless-generated SDKs' `APIError` (Anthropic and OpenAI). */
export interface SdkApiErrorLike {
  status?: number | undefined;
  headers?: Headers | undefined;
  message: string;
  type?: string | null;
}

export function fromSdkApiError(provider: string, err: SdkApiErrorLike): LlmError {
  const kind = kindForStatus(err.status, err.type);
  const retryAfterMs = retryAfterMsFromHeaders(err.headers);
  const status = err.status === undefined ? '' : ` ${err.status}`;
  return new LlmError(kind, `${provider}${status}: ${err.message}`, {
    ...(err.status === undefined ? {} : { status: err.status }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    cause: err,
  });
}

export function networkError(provider: string, err: unknown): LlmError {
  const message = err instanceof Error ? err.message : String(err);
  return new LlmError('network', `${provider}: could not reach the API (${message})`, { cause: err });
}

/** The error classes of a Stainless-generated SDK (Anthropic, OpenAI). */
export interface SdkErrorClasses {
  APIUserAbortError: abstract new (...args: never[]) => unknown;
  APIConnectionError: abstract new (...args: never[]) => unknown;
  APIError: abstract new (...args: never[]) => SdkApiErrorLike;
}

/** A failed SDK call (or stream that failed before any text) as an `LlmError`. */
export function fromSdkError(
  provider: string,
  sdk: SdkErrorClasses,
  err: unknown,
  signal: AbortSignal | undefined,
): LlmError {
  if (signal?.aborted || err instanceof sdk.APIUserAbortError) return abortedError(err);
  if (err instanceof sdk.APIConnectionError) return networkError(provider, err);
  if (err instanceof sdk.APIError) return fromSdkApiError(provider, err);
  return networkError(provider, err);
}

/** A failure while reading an SDK's stream: a cut once text has arrived (never retried), else as `fromSdkError`. */
export function fromSdkStreamError(
  provider: string,
  sdk: SdkErrorClasses,
  err: unknown,
  signal: AbortSignal | undefined,
  sawText: boolean,
): LlmError {
  if (signal?.aborted) return abortedError(signal.reason);
  if (sawText) return streamCutError(provider, err instanceof Error ? err.message : String(err), err);
  return fromSdkError(provider, sdk, err, signal);
}

/** `text` parsed as JSON, or undefined when it is not JSON. */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
