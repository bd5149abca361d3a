// The messages between the gateway's main thread and its LLM stream threads (structured-cloned).
// Text is batched: one message carries every stream's new text since the last one, then the streams
// that ended, so the main thread handles a few messages per interval however many streams run.
import { LlmError, type LlmErrorKind } from '../types.ts';

/** Text that is not the first of its stream waits at most this long to share a message with more. */
export const TEXT_BATCH_MS = 25;

/** Main → thread. */
export type ToThread =
  | {
      t: 'start';
      id: number;
      request: {
        model: string;
        system?: string;
        messages: { role: 'user' | 'assistant'; content: string }[];
        maxTokens: number;
      };
    }
  | { t: 'abort'; id: number };

export interface WireError {
  kind: LlmErrorKind;
  message: string;
  status?: number;
  retryAfterMs?: number;
}

/** Thread → main: ready (the provider is loaded), or a batch. */
export type FromThread = { t: 'ready' } | Batch;

/** New text per stream, failed tries that are being retried, streams that ended. */
export interface Batch {
  t: 'batch';
  text: [id: number, text: string][];
  retries: [id: number, error: WireError][];
  /** null: the stream ended normally. */
  ends: [id: number, error: WireError | null][];
}

export function toWire(error: unknown): WireError {
  const e = error instanceof LlmError ? error : new LlmError('server', String(error), { cause: error });
  return {
    kind: e.kind,
    message: e.message,
    ...(e.details.status === undefined ? {} : { status: e.details.status }),
    ...(e.details.retryAfterMs === undefined ? {} : { retryAfterMs: e.details.retryAfterMs }),
  };
}

export function fromWire(wire: WireError): LlmError {
  return new LlmError(wire.kind, wire.message, {
    ...(wire.status === undefined ? {} : { status: wire.status }),
    ...(wire.retryAfterMs === undefined ? {} : { retryAfterMs: wire.retryAfterMs }),
  });
}
