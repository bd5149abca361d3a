// The V8 heap settings of the gateway process, applied before any stream thread starts.
// V8's default lets a busy heap grow up to 4× past its live data between full collections. Thousands
// of SSE streams make garbage at a steady rate, so with the default most of the resident memory is
// garbage waiting for the next collection: 4,000 streams through the SDK peak at about 110 KB a stream
// (sse-client-cost.ts) while about 35 KB a stream is live after a full collection. Growth by 1.5×
// (the default) takes the peak of 5,000 conversations from 0.93 GB to 0.6 GB, and of 10,000 from 1.57 GB
// to about 1.05 GB, for no CPU measurable at 5,000; 1.4× and less cost clearly more (the gateway
// README's Scale section).
import { setFlagsFromString } from 'node:v8';

/** Sets V8's heap growing factor to 1 + percent/100 for this process and threads started after it; 0 keeps V8's own. */
export function applyHeapGrowingPercent(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0) {
    throw new RangeError(`heap growing percent must be a non-negative integer, got ${percent}`);
  }
  // V8 reads the flag when it sizes the heap after each full collection, so it takes effect at once.
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
