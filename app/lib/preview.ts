// One line of plain text from a message's Markdown, for the conversation list.
export function previewText(body: string, max = 90): string {
  const plain = body
    .replace(/^\s*(?:[-*+]|\d+\.)\s+/gm, '')
    .replace(/```[a-z]*\n?/gi, '')
    .replace(/[`*_~>#]+/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > max ? `${plain.slice(0, max - 1)}…` : plain;
}
