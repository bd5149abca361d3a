// matrix-js-sdk arms a timer per request to abort it (110 s for a /sync long poll) and leaves it
// armed after the response: in Node the process then lingers for minutes after the last test. Long
// timers armed from here on do not keep the process alive (they only ever abort a request).
const LONG_MS = 60_000;
const original = globalThis.setTimeout;

globalThis.setTimeout = ((handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const timer = original(handler, ms, ...args);
  if ((ms ?? 0) >= LONG_MS) timer.unref();
  return timer;
}) as typeof setTimeout;
