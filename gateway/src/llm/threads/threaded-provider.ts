// Runs the LLM streams on worker threads, so that the SDKs' HTTP and SSE work (most of a streaming
// reply's CPU, and its garbage) leaves the main thread, which keeps the homeserver traffic, and uses
// the machine's other cores. Same `LlmProvider` contract: text deltas in order, `LlmError` on failure,
// retries inside (reported through `onRetry`), `signal` aborts.
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { abortedError } from '../errors.ts';
import { type ConfiguredProvider, createProvider, type ProviderConfig } from '../factory.ts';
import { pullText } from '../text-push.ts';
import { type CompletionRequest, LlmError, type ProviderName, type TextSink } from '../types.ts';
import { type Batch, type FromThread, fromWire, type ToThread } from './protocol.ts';
import { streamWorkerUrl } from './worker-source.ts';

/** One stream as the main thread sees it: where its text goes, and how it ends. */
interface Channel {
  onText: TextSink;
  onRetry?: (error: LlmError) => void;
  /** Settles the stream's promise (once: later calls do nothing). */
  settle: (error?: LlmError) => void;
  /** How it ended, held until its turn to be woken (see wakeSoon). */
  ending?: { error?: LlmError };
}

interface Thread {
  worker: Worker;
  channels: Map<number, Channel>;
  /** Its event loop's busy time when last read (kept when it dies, so the total never goes back). */
  busyMs: number;
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
  /**
   * A thread that dies within this long of its start (a broken install) is started again only after
   * as long again, not in a tight loop. Default 5 s.
   */
  earlyDeathMs?: number;
}

const EARLY_DEATH_MS = 5_000;
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
  /** Busy time of the threads that died, as last read. */
  private busyMsOfGone = 0;
  private wakeTimer: NodeJS.Immediate | undefined;
  /**
   * Resolves when every thread started with the provider has loaded it (the gateway waits for this
   * before it takes work); rejects when one dies first (a broken install, a bad configuration).
   */
  readonly ready: Promise<void>;

  private readonly onThreadError: (error: Error) => void;
  private readonly earlyDeathMs: number;
  private readonly resourceLimits: ResourceLimits | undefined;

  constructor(
    private readonly config: ProviderConfig,
    options: ThreadedProviderOptions,
  ) {
    this.onThreadError = options.onThreadError ?? (() => {});
    this.earlyDeathMs = options.earlyDeathMs ?? EARLY_DEATH_MS;
    this.resourceLimits = options.youngGenerationMb
      ? { maxYoungGenerationSizeMb: options.youngGenerationMb }
      : undefined;
    // Built here too (it loads no SDK), so that a bad configuration fails at start, in this thread, with
    // its message.
    const local = createProvider(config);
    this.name = local.name;
    this.defaultModel = local.defaultModel;
    this.maxTokens = local.maxTokens;
    const started = Array.from({ length: options.threads }, () => this.spawn());
    this.ready = Promise.all(started).then(() => {});
    // Observed here so that an unawaited failure is not an unhandled rejection; `ready` still rejects.
    this.ready.catch(() => {});
  }

  load(): Promise<void> {
    return this.ready;
  }

  /** Starts a thread; the promise settles when it has loaded the provider, or died before. */
  private spawn(): Promise<void> {
    const thread: Thread = {
      worker: new Worker(streamWorkerUrl(), {
        workerData: this.config,
        name: 'clawchat-llm-stream',
        ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}),
      }),
      channels: new Map(),
      busyMs: 0,
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
      this.busyMsOfGone += thread.busyMs;
      for (const channel of thread.channels.values())
        this.end(channel, new LlmError('network', `the LLM stream thread stopped (${error.message})`));
      thread.channels.clear();
      if (this.closed) return;
      this.onThreadError(error);
      // A thread that dies as it starts (a broken install) is not restarted in a tight loop.
      const delay = Date.now() - startedAt < this.earlyDeathMs ? this.earlyDeathMs : 0;
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

  /**
   * Milliseconds the stream threads' event loops have been busy, all threads together, since the
   * first started (read from the main thread, without a message to the threads).
   */
  busyMs(): number {
    let total = this.busyMsOfGone;
    for (const thread of this.threads) {
      thread.busyMs = Math.max(thread.busyMs, thread.worker.performance.eventLoopUtilization().active);
      total += thread.busyMs;
    }
    return total;
  }

  private receive(thread: Thread, message: Batch): void {
    for (const [id, text] of message.text) {
      const channel = thread.channels.get(id);
      if (!channel) continue;
      try {
        channel.onText(text);
      } catch (error) {
        // The consumer's failure ends its own stream, not the others in this batch.
        thread.channels.delete(id);
        thread.worker.postMessage({ t: 'abort', id } satisfies ToThread);
        channel.settle(
          new LlmError('server', `the reply could not take the text: ${String(error)}`, { cause: error }),
        );
      }
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
    channel.ending = error ? { error } : {};
    this.wakeSoon(channel);
  }

  /**
   * One message can end hundreds of streams, and each stream that ends runs its reply's final steps
   * (the final edit with its Markdown, the memory, the queue) before anything else: so they are woken
   * a batch at a time, with the homeserver's responses and new transactions handled in between. New
   * text goes to its stream at once (it only appends to the reply).
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
      channel.settle(channel.ending?.error);
    }
    if (this.toWake.size > 0) this.wakeTimer = setImmediate(() => this.wakeBatch());
  }

  stream(request: CompletionRequest): AsyncGenerator<string, void, undefined> {
    return pullText((r, onText) => this.streamTo(r, onText), request);
  }

  streamTo(request: CompletionRequest, onText: TextSink): Promise<void> {
    const { signal, onRetry, ...wire } = request;
    if (signal?.aborted) return Promise.reject(abortedError(signal.reason));
    if (this.threads.length === 0)
      return Promise.reject(
        new LlmError(
          'network',
          this.closed ? 'the LLM stream threads are closed' : 'the LLM stream thread is restarting',
        ),
      );
    // The thread with the fewest streams.
    const thread = this.threads.reduce((a, b) => (b.channels.size < a.channels.size ? b : a));
    const id = this.nextId++;
    const post = (message: ToThread) => thread.worker.postMessage(message);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const onAbort = () => {
        // At once, without waiting for the thread: no more text is taken, and the thread stops.
        if (thread.channels.delete(id)) post({ t: 'abort', id });
        channel.settle(abortedError(signal?.reason));
      };
      const channel: Channel = {
        onText,
        ...(onRetry ? { onRetry } : {}),
        settle: (error) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          this.toWake.delete(channel);
          if (error) reject(error);
          else if (signal?.aborted) reject(abortedError(signal.reason));
          else resolve();
        },
      };
      thread.channels.set(id, channel);
      signal?.addEventListener('abort', onAbort, { once: true });
      post({ t: 'start', id, request: wire });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.threads].map((t) => t.worker.terminate()));
  }
}
