// The server-sent events of a streaming response the SDK has made and checked (`.asResponse()`),
// decoded by eventsource-parser as the bytes arrive. The SDKs' own streams decode the same bytes through
// three async generators a response (lines, SSE messages, JSON events): a promise and a generator step
// each per event, about 15% of the stream thread's work per SSE event at thousands of streams
// (`bench/src/gateway/sse-client-cost.ts`, modes `sdk-lean` against `sdk-push`). On the lean fetch's body the
// chunks are pushed (`ResponseBody.drainTo`) and no promise is made per event; any other body is read
// through its async iterator.
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import {
  abortedError,
  fromSdkError,
  fromSdkStreamError,
  type SdkErrorClasses,
  streamCutError,
} from './errors.ts';
import { ResponseBody } from './response-body.ts';
import { SinkError } from './retry.ts';
import type { TextSink } from './types.ts';

/** Called for each event in order; a throw ends the read with that error (and aborts the request). */
export type SseEventHandler = (event: EventSourceMessage) => void;

/**
 * Reads `response`'s body to its end, handing each SSE event to `onEvent`. Resolves when the body ends;
 * rejects with the body's error (a cut connection, an abort) or with what `onEvent` threw.
 */
export function readSseEvents(response: Response, onEvent: SseEventHandler): Promise<void> {
  const utf8 = new TextDecoder();
  const parser = createParser({ onEvent });
  const body = response.body as unknown;
  if (body instanceof ResponseBody) {
    return new Promise((resolve, reject) => {
      body.drainTo({
        data: (chunk) => parser.feed(utf8.decode(chunk, { stream: true })),
        end: () => {
          try {
            parser.feed(utf8.decode());
            resolve();
          } catch (error) {
            reject(error);
          }
        },
        error: reject,
      });
    });
  }
  return (async () => {
    if (!body) return;
    for await (const chunk of body as AsyncIterable<Uint8Array>)
      parser.feed(utf8.decode(chunk, { stream: true }));
    parser.feed(utf8.decode());
  })();
}

/** What a provider makes of one event: text is handed to `emit`; `'end'` marks the reply complete. */
export type SseDecoder = (
  event: EventSourceMessage,
  response: Response,
  emit: (text: string) => void,
) => 'end' | undefined;

export interface SseAttempt {
  provider: string;
  errors: SdkErrorClasses;
  signal: AbortSignal | undefined;
  /** The SDK's streaming request, its response checked by the SDK (`.asResponse()`). */
  request: () => Promise<Response>;
  decode: SseDecoder;
  /** Why a body that ends before the decoder's `'end'` is a cut stream. */
  cutDetail: string;
}

/**
 * One attempt of a streaming call: the SDK's request, then its events through `decode`, each text to
 * `onText`. Rejects with an `LlmError` as the SDK's own stream would have (retried by
 * `pushWithRetries` when no text had arrived), or with the sink's `SinkError` unchanged.
 */
export async function streamSse(attempt: SseAttempt, onText: TextSink): Promise<void> {
  const { provider, errors, signal } = attempt;
  let response: Response;
  try {
    response = await attempt.request();
  } catch (err) {
    throw fromSdkError(provider, errors, err, signal);
  }
  let sawText = false;
  let ended = false;
  const emit = (text: string) => {
    sawText = true;
    onText(text);
  };
  try {
    await readSseEvents(response, (event) => {
      if (ended) return; // what follows the end (a usage chunk, `[DONE]`) carries no text
      if (signal?.aborted) throw abortedError(signal.reason); // text that had arrived is not handed on
      if (attempt.decode(event, response, emit) === 'end') ended = true;
    });
  } catch (err) {
    if (err instanceof SinkError) throw err;
    throw fromSdkStreamError(provider, errors, err, signal, sawText);
  }
  if (signal?.aborted) throw abortedError(signal.reason);
  if (!ended) throw streamCutError(provider, attempt.cutDetail);
}
