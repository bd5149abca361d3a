// The replies of the benchmark's fake LLM: deterministic per conversation, so the driver can check that
// every conversation's final text is exactly what the model streamed (no cross-talk, nothing lost).

/** The conversation tag carried in the user's message, e.g. "conv-42" or "conv-7-3". */
export const TAG_PATTERN = /\bconv-[0-9]+(?:-[0-9]+)?\b/;

/** A reply of `tokens` words with some markdown (paragraphs, bold), starting with the tag. */
export function replyText(tag: string, tokens: number): string {
  const words: string[] = [`Answer for ${tag}:`];
  for (let i = 1; words.length < tokens; i++) {
    let word = `word${i}`;
    if (i % 17 === 0) word = `**bold${i}**`;
    words.push(i % 40 === 0 ? `${word}.\n\n` : word);
  }
  return words.join(' ').replace(/ \n\n /g, '\n\n');
}

/** Words with their trailing whitespace: concatenated they give back the text exactly. */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}
