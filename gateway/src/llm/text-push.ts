// A stream's text as pushed deltas (a callback per delta, a promise for the end) or pulled ones (an
// async iterable), whichever form a provider has. The stream threads push: their text arrives in
// messages, and handing it straight to the reply spares the main thread an async iteration (a promise
// and a generator step) for each batch of each stream.
import { abortedError } from './errors.ts';
import type { CompletionRequest, LlmProvider, TextSink } from './types.ts';

/**
 * Runs the provider's stream, handing each delta to `onText` in order; settles as `stream` does (resolves
 * at its end, rejects with its `LlmError`). No delta is handed on once the request's signal is aborted.
 */
export async function pushText(
  provider: LlmProvider,
  request: CompletionRequest,
  onText: TextSink,
): Promise<void> {
  if (provider.streamTo) return provider.streamTo(request, onText);
  for await (const delta of provider.stream(request)) {
    if (request.signal?.aborted) throw abortedError(request.signal.reason);
    onText(delta);
  }
}

/**
 * The pulled form of a push-only stream: `streamTo` runs under its own abort as well as the request's,
 * so that a consumer that stops early (a `break`) stops the stream too.
 */
export async function* pullText(
  streamTo: (request: CompletionRequest, onText: TextSink) => Promise<void>,
  request: CompletionRequest,
): AsyncGenerator<string, void, undefined> {
  const stop = new AbortController();
  const signal = request.signal ? AbortSignal.any([request.signal, stop.signal]) : stop.signal;
  let text = '';
  let ended = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const running = streamTo({ ...request, signal }, (delta) => {
    text += delta;
    wake?.();
  }).then(
    () => {
      ended = true;
      wake?.();
    },
    (error: unknown) => {
      failure = { error };
      ended = true;
      wake?.();
    },
  );
  try {
    for (;;) {
      if (text) {
        const delta = text;
        text = '';
        yield delta;
      } else if (ended) {
        if (failure) throw failure.error;
        return;
      } else {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    }
  } finally {
    if (!ended) {
      stop.abort();
      await running;
    }
  }
}
