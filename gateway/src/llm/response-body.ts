// A response body fed straight by undici's dispatcher (onResponseData) and read by the SDKs through its
// async iterator: one queue and at most one waiting reader, no Node Readable and no WHATWG stream in
// between. The connection is paused while the reader lags HIGH_WATER chunks behind, and resumed once it
// has caught up to LOW_WATER, so a slow reader holds back the socket instead of filling memory.
import type { Dispatcher } from 'undici';

const HIGH_WATER = 64;
const LOW_WATER = 16;

/** Takes a body's chunks as they arrive (`ResponseBody.drainTo`); a throw from `data` fails the body. */
export interface BodySink {
  data(chunk: Buffer): void;
  end(): void;
  error(error: unknown): void;
}

interface Waiting {
  resolve: (result: IteratorResult<Buffer>) => void;
  reject: (error: unknown) => void;
}

export class ResponseBody implements AsyncIterableIterator<Buffer> {
  private readonly chunks: Buffer[] = [];
  private head = 0;
  private ended = false;
  private failure: { error: unknown } | null = null;
  private waiting: Waiting | null = null;
  private sink: BodySink | null = null;

  constructor(private readonly controller: Dispatcher.DispatchController) {}

  /** Whether the body was read to its end or failed (nothing more will come). */
  get settled(): boolean {
    return this.ended || this.failure !== null;
  }

  push(chunk: Buffer): void {
    if (this.settled) return;
    if (this.sink) {
      this.deliver(chunk);
      return;
    }
    const reader = this.waiting;
    if (reader) {
      this.waiting = null;
      reader.resolve({ done: false, value: chunk });
      return;
    }
    this.chunks.push(chunk);
    if (this.queued() >= HIGH_WATER && !this.controller.paused) this.controller.pause();
  }

  end(): void {
    if (this.settled) return;
    this.ended = true;
    if (this.sink) {
      this.sink.end();
      return;
    }
    const reader = this.waiting;
    this.waiting = null;
    reader?.resolve({ done: true, value: undefined });
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.failure = { error };
    if (this.sink) {
      this.sink.error(error);
      return;
    }
    const reader = this.waiting;
    this.waiting = null;
    reader?.reject(error);
  }

  next(): Promise<IteratorResult<Buffer>> {
    if (this.head < this.chunks.length) {
      const value = this.chunks[this.head]!;
      this.chunks[this.head++] = undefined as unknown as Buffer;
      if (this.head === this.chunks.length) {
        this.chunks.length = 0;
        this.head = 0;
      }
      if (this.controller.paused && this.queued() <= LOW_WATER) this.controller.resume();
      return Promise.resolve({ done: false, value });
    }
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    if (this.waiting) return Promise.reject(new TypeError('response body: one read at a time'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** The reader stops early (a `break`, the SDK cancelling the body): the request is aborted. */
  return(): Promise<IteratorResult<Buffer>> {
    if (!this.settled) {
      const error = new DOMException('the response body was cancelled', 'AbortError');
      this.controller.abort(error);
      this.fail(error);
    }
    this.chunks.length = 0;
    this.head = 0;
    return Promise.resolve({ done: true, value: undefined });
  }

  /**
   * Hands every chunk to `sink` as undici delivers it (those already queued first), instead of through
   * the async iterator: no promise per chunk. A throw from `sink.data` aborts the request and is given
   * to `sink.error`. One reader: not after the iterator was used.
   */
  drainTo(sink: BodySink): void {
    if (this.sink || this.waiting) throw new TypeError('response body: already being read');
    this.sink = sink;
    const queued = this.chunks.slice(this.head);
    this.chunks.length = 0;
    this.head = 0;
    const { ended, failure } = this;
    if (this.controller.paused && !this.settled) this.controller.resume();
    for (const chunk of queued) if (!this.deliver(chunk)) return;
    if (failure) sink.error(failure.error);
    else if (ended) sink.end();
  }

  /** False when the sink threw: the body has failed with that error, and the sink was told. */
  private deliver(chunk: Buffer): boolean {
    try {
      this.sink!.data(chunk);
      return true;
    } catch (error) {
      if (!this.settled) {
        this.failure = { error };
        this.controller.abort(error instanceof Error ? error : new Error(String(error)));
      }
      this.sink!.error(error);
      return false;
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private queued(): number {
    return this.chunks.length - this.head;
  }
}
