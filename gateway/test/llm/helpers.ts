import { createServer } from 'node:net';
import { LlmError } from '../../src/llm/types.ts';

/** Fast back-off for tests; retry-after capped so a test never waits more than ~1 s. */
export const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_000 };

export async function collect(stream: AsyncIterable<string>): Promise<{ text: string; deltas: number }> {
  let text = '';
  let deltas = 0;
  for await (const delta of stream) {
    text += delta;
    deltas++;
  }
  return { text, deltas };
}

/** Runs the stream to its end and returns the LlmError it threw (fails when it did not throw one). */
export async function failure(stream: AsyncIterable<string>): Promise<{ error: LlmError; text: string }> {
  let text = '';
  try {
    for await (const delta of stream) text += delta;
  } catch (err) {
    if (err instanceof LlmError) return { error: err, text };
    throw err;
  }
  throw new Error(`expected an LlmError, the stream completed with ${JSON.stringify(text)}`);
}

/** A 127.0.0.1 port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
