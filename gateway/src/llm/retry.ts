// One retry policy for every provider: exponential back-off with jitter, honouring the server's
// retry-after (capped). Retries only happen before the first delta was handed to the caller:
// once text was shown, replaying the request would duplicate it.
import { abortedError } from './errors.ts';
import { type CompletionRequest, LlmError, type TextSink } from './types.ts';

export interface RetryPolicy {
  /** Total attempts, the first included (1 = no retry). */
  maxAttempts: number;
  /** Back-off before the 2nd attempt; doubles each time. */
  baseDelayMs: number;
  /** Ceiling of the exponential back-off. */
  maxDelayMs: number;
  /** Ceiling on a server-requested retry-after wait. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
};

export function resolveRetryPolicy(partial: Partial<RetryPolicy> | undefined): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...stripUndefined(partial ?? {}) };
  for (const [key, value] of Object.entries(policy)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new TypeError(`retry policy: ${key} must be a non-negative number, got ${String(value)}`);
    }
  }
  if (policy.maxAttempts < 1 || !Number.isInteger(policy.maxAttempts)) {
    throw new TypeError(`retry policy: maxAttempts must be an integer >= 1, got ${policy.maxAttempts}`);
  }
  return policy;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Wait before attempt `failedAttempt + 1`. */
export function retryDelayMs(failedAttempt: number, policy: RetryPolicy, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
  // "Equal jitter": half fixed, half random, so that synchronized clients spread out.
  return exponential / 2 + Math.random() * (exponential / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortedError(signal.reason));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What a stream's consumer threw from its text callback: passed through, never retried or re-labelled. */
export class SinkError extends Error {
  constructor(readonly original: unknown) {
    super('the text callback threw');
    this.name = 'SinkError';
  }
}

/**
 * Runs `attempt` (one HTTP request handing its text deltas to the sink it is given, rejecting with
 * `LlmError`) and retries retryable failures that happen before the first delta. An attempt lets a
 * `SinkError` from its sink through unchanged; the consumer's own error is what this then rejects with.
 */
export async function pushWithRetries(
  attempt: (onText: TextSink) => Promise<void>,
  policy: RetryPolicy,
  request: Pick<CompletionRequest, 'signal' | 'onRetry'>,
  onText: TextSink,
): Promise<void> {
  const { signal, onRetry } = request;
  let handedOn = false;
  const sink: TextSink = (delta) => {
    handedOn = true;
    try {
      onText(delta);
    } catch (error) {
      throw new SinkError(error);
    }
  };
  for (let attemptNo = 1; ; attemptNo++) {
    if (signal?.aborted) throw abortedError(signal.reason);
    try {
      await attempt(sink);
      return;
    } catch (err) {
      if (err instanceof SinkError) throw err.original;
      const error = err instanceof LlmError ? err : new LlmError('server', String(err), { cause: err });
      if (signal?.aborted) throw error.kind === 'aborted' ? error : abortedError(signal.reason);
      // A stream cut before any text showed nothing: as safe to retry as a dropped connection.
      const retryable = error.retryable || error.kind === 'stream_cut';
      if (handedOn || !retryable || attemptNo >= policy.maxAttempts) throw error;
      onRetry?.(error);
      await sleep(retryDelayMs(attemptNo, policy, error.details.retryAfterMs), signal);
    }
  }
}
