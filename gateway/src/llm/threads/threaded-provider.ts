// Runs the LLM streams on worker threads, so that the SDKs' HTTP and SSE work (most of a streaming
// reply's CPU, and its garbage) leaves the main thread, which keeps the homeserver traffic, and uses
// the machine's other cores. Same `LlmProvider` contract: text deltas in order, `LlmError` on failure,
// retries inside (reported through `onRetry`), `signal` aborts.
import { existsSync } from 'node:fs';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { abortedError } from '../errors.ts';
import { type ConfiguredProvider, createProvider, type ProviderConfig } from '../factory.ts';
import { type CompletionRequest, LlmError, type ProviderName } from '../types.ts';
import { type Batch, type FromThread, fromWire, type ToThread } from './protocol.ts';

/** One stream as the main thread sees it: text not yet taken, and how it ended. */
interface Channel {
  text: string;
  ended: boolean;
  error?: LlmError;
  wake?: () => void;
  onRetry?: (error: LlmError) => void;
}

interface Thread {
  worker: Worker;
  channels: Map<number, Channel>;
}

/**
 * The worker: beside the bundle, `dist/llm-stream-worker.js`; from the sources, `stream-worker.ts`
 * loaded through tsx's loader, registered inside the thread (Node 20 does not carry a parent's
 * `--import` loader hooks into a worker's entry).
 */
function workerSource(): { source: URL | string; eval: boolean } {
  const bundled = new URL('./llm-stream-worker.js', import.meta.url);
  if (existsSync(bundled)) return { source: bundled, eval: false };
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./stream-worker.ts', import.meta.url).href);
  return {
    source: `import(${tsx}).then(({ register }) => { register(); return import(${entry}); })`,
    eval: true,
  };
}

export interface ThreadedProviderOptions {
  threads: number;
  /**
   * Each thread's V8 young generation, in MB; unset or 0: V8's own. SSE parsing makes short-lived
   * garbage fast: with V8's small default much of it survives two scavenges, is promoted and is then
   * collected again as old garbage (the config field LLM_THREAD_YOUNG_GENERATION_MB has the figures).
   */
  youngGenerationMb?: number;
  /** Told when a thread dies (its streams fail with a network error; it is started again). */
  onThreadError?: (error: Error) => void;
}

const RESTART_AFTER_EARLY_DEATH_MS = 5_000;
/** Streams woken in one turn of the event loop (see wakeSoon). */
const WAKE_BATCH = 64;

export class ThreadedProvider implements ConfiguredProvider {
  readonly name: ProviderName;
  readonly defaultModel: string;
  readonly maxTokens: number;
  private readonly threads: Thread[] = [];
  private nextId = 1;
  private closed = false;
  private readonly toWake = new Set<Channel>();
  private wakeTimer: NodeJS.Immediate | undefined;
  /**
   * Resolves when every thread started with the provider has loaded it (the gateway waits for this
   * before it takes work); rejects when one dies first (a broken install, a bad configuration).
   */
  readonly ready: Promise<void>;

  private readonly onThreadError: (error: Error) => void;
  private readonly resourceLimits: ResourceLimits | undefined;

  constructor(
    private readonly config: ProviderConfig,
    options: ThreadedProviderOptions,
  ) {
    this.onThreadError = options.onThreadError ?? (() => {});
    this.resourceLimits = options.youngGenerationMb
      ? { maxYoungGenerationSizeMb: options.youngGenerationMb }
      : undefined;
    // Built here too, so that a bad configuration fails at start, in this thread, with its message.
    const local = createProvider(config);
    this.name = local.name;
    this.defaultModel = local.defaultModel;
    this.maxTokens = local.maxTokens;
    const started = Array.from({ length: options.threads }, () => this.spawn());
    this.ready = Promise.all(started).then(() => {});
    // Observed here so that an unawaited failure is not an unhandled rejection; `ready` still rejects.
    this.ready.catch(() => {});
  }

  /** Starts a thread; the promise settles when it has loaded the provider, or died before. */
  private spawn(): Promise<void> {
    const { source, eval: isCode } = workerSource();
    const thread: Thread = {
      worker: new Worker(source, {
        eval: isCode,
        workerData: this.config,
        name: 'clawchat-llm-stream',
        ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}),
      }),
      channels: new Map(),
    };
    const startedAt = Date.now();
    let ready!: () => void;
    let diedEarly!: (error: Error) => void;
    const loaded = new Promise<void>((resolve, reject) => {
      ready = resolve;
      diedEarly = reject;
    });
    thread.worker.on('message', (message: FromThread) => {
      if (message.t === 'ready') ready();
      else this.receive(thread, message);
    });
    const fail = (error: Error) => {
      diedEarly(error);
      const index = this.threads.indexOf(thread);
      if (index < 0) return;
      // Out of the rotation at once: nothing more is posted to a dead thread.
      this.threads.splice(index, 1);
      for (const channel of thread.channels.values())
        this.end(channel, new LlmError('network', `the LLM stream thread stopped (${error.message})`));
      thread.channels.clear();
      if (this.closed) return;
      this.onThreadError(error);
      // A thread that dies as it starts (a broken install) is not restarted in a tight loop.
      const delay = Date.now() - startedAt < RESTART_AFTER_EARLY_DEATH_MS ? RESTART_AFTER_EARLY_DEATH_MS : 0;
      setTimeout(() => {
        if (!this.closed) this.spawn().catch(() => {});
      }, delay).unref();
    };
    thread.worker.on('error', fail);
    thread.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    // Once loaded, idle threads do not keep the process alive (until then, the wait for them does).
    void loaded.then(
      () => thread.worker.unref(),
      () => {},
    );
    this.threads.push(thread);
    return loaded;
  }

  private receive(thread: Thread, message: Batch): void {
    for (const [id, text] of message.text) {
      const channel = thread.channels.get(id);
      if (!channel) continue;
      channel.text += text;
      channel.wake?.();
    }
    for (const [id, error] of message.retries) thread.channels.get(id)?.onRetry?.(fromWire(error));
    for (const [id, error] of message.ends) {
      const channel = thread.channels.get(id);
      if (!channel) continue;
      thread.channels.delete(id);
      this.end(channel, error ? fromWire(error) : undefined);
    }
  }

  private end(channel: Channel, error?: LlmError): void {
    channel.ended = true;
    channel.error = error;
    this.wakeSoon(channel);
  }

  /**
   * One message can end hundreds of streams, and each stream that ends runs its reply's final steps
   * (the final edit with its Markdown, the memory, the queue) before anything else: so they are woken
   * a batch at a time, with the homeserver's responses and new transactions handled in between. New
   * text wakes its stream at once (it only appends to the reply).
   */
  private wakeSoon(channel: Channel): void {
    this.toWake.add(channel);
    this.wakeTimer ??= setImmediate(() => this.wakeBatch());
  }

  private wakeBatch(): void {
    this.wakeTimer = undefined;
    let n = 0;
    for (const channel of this.toWake) {
      if (n++ === WAKE_BATCH) break;
      this.toWake.delete(channel);
      channel.wake?.();
    }
    if (this.toWake.size > 0) this.wakeTimer = setImmediate(() => this.wakeBatch());
  }

  async *stream(request: CompletionRequest): AsyncGenerator<string, void, undefined> {
    const { signal, onRetry, ...wire } = request;
    if (signal?.aborted) throw abortedError(signal.reason);
    if (this.threads.length === 0)
      throw new LlmError(
        'network',
        this.closed ? 'the LLM stream threads are closed' : 'the LLM stream thread is restarting',
      );
    // The thread with the fewest streams.
    const thread = this.threads.reduce((a, b) => (b.channels.size < a.channels.size ? b : a));
    const id = this.nextId++;
    const channel: Channel = { text: '', ended: false, onRetry };
    thread.channels.set(id, channel);
    const post = (message: ToThread) => thread.worker.postMessage(message);
    const onAbort = () => post({ t: 'abort', id });
    signal?.addEventListener('abort', onAbort, { once: true });
    post({ t: 'start', id, request: wire });
    try {
      for (;;) {
        if (channel.text) {
          const text = channel.text;
          channel.text = '';
          yield text;
        } else if (channel.ended) {
          if (signal?.aborted) throw abortedError(signal.reason);
          if (channel.error) throw channel.error;
          return;
        } else {
          await new Promise<void>((resolve) => {
            channel.wake = resolve;
          });
          channel.wake = undefined;
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // The consumer stopped early: the thread need not go on.
      if (!channel.ended && thread.channels.delete(id)) post({ t: 'abort', id });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.threads].map((t) => t.worker.terminate()));
  }
}
