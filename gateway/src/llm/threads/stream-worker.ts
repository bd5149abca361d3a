// An LLM stream thread: runs the configured provider (the official SDK, its HTTP connections and SSE
// parsing) for the streams the main thread hands it, and sends their text back in batches.
import { parentPort, workerData } from 'node:worker_threads';
import { createProvider, type ProviderConfig } from '../factory.ts';
import { pushText } from '../text-push.ts';
import type { LlmError } from '../types.ts';
import { type Batch, type FromThread, TEXT_BATCH_MS, type ToThread, toWire } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('stream-worker.ts runs as a worker thread of the gateway');
const provider = createProvider(workerData as ProviderConfig);
const running = new Map<number, AbortController>();

let outbox: Batch = { t: 'batch', text: [], retries: [], ends: [] };
const pendingText = new Map<number, string>();
let timer: NodeJS.Timeout | undefined;
let immediate: NodeJS.Immediate | undefined;

function flush(): void {
  if (timer) clearTimeout(timer);
  if (immediate) clearImmediate(immediate);
  timer = undefined;
  immediate = undefined;
  // A stream's text goes before its end, in the same message.
  for (const entry of pendingText) outbox.text.push(entry);
  pendingText.clear();
  const message = outbox;
  outbox = { t: 'batch', text: [], retries: [], ends: [] };
  port!.postMessage(message satisfies FromThread);
}

/** The first text of a stream and its end go out at once (they are what users wait for); the rest soon. */
function schedule(urgent: boolean): void {
  if (urgent) immediate ??= setImmediate(flush);
  else timer ??= setTimeout(flush, TEXT_BATCH_MS);
}

async function run(id: number, request: Extract<ToThread, { t: 'start' }>['request']): Promise<void> {
  const abort = new AbortController();
  running.set(id, abort);
  let first = true;
  try {
    const streaming = {
      ...request,
      signal: abort.signal,
      onRetry: (error: LlmError) => {
        outbox.retries.push([id, toWire(error)]);
        schedule(false);
      },
    };
    await pushText(provider, streaming, (delta) => {
      pendingText.set(id, (pendingText.get(id) ?? '') + delta);
      schedule(first);
      first = false;
    });
    outbox.ends.push([id, null]);
  } catch (error) {
    outbox.ends.push([id, toWire(error)]);
  } finally {
    running.delete(id);
    schedule(true);
  }
}

port.on('message', (message: ToThread) => {
  if (message.t === 'start') void run(message.id, message.request);
  else running.get(message.id)?.abort();
});
// A failed load (a broken install) kills the thread before it says ready: the gateway does not start.
await provider.load?.();
port.postMessage({ t: 'ready' } satisfies FromThread);
