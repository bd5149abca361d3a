// The Anthropic Messages streaming wire format, event by event: shared by the tests' fake Anthropic and
// the benchmark's lean fake LLM (bench/src/gateway/fake-llm.ts).

export function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** `message_start` and the text block's `content_block_start`. */
export function anthropicStreamOpening(id: string, model: string, inputTokens: number): string {
  return (
    sse('message_start', {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: 1 },
      },
    }) +
    sse('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    })
  );
}

/** One `content_block_delta` of text. */
export function anthropicTextDelta(text: string): string {
  return sse('content_block_delta', {
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'text_delta', text },
  });
}

/** `content_block_stop`, `message_delta` (end_turn) and `message_stop`. */
export function anthropicStreamClosing(outputTokens: number): string {
  return (
    sse('content_block_stop', { type: 'content_block_stop', index: 0 }) +
    sse('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: outputTokens },
    }) +
    sse('message_stop', { type: 'message_stop' })
  );
}
