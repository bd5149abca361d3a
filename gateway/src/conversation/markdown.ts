// Markdown to the HTML subset Matrix clients render (`formatted_body`), sanitized.
import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

const md = new MarkdownIt({ html: false, linkify: true, breaks: true });

// The tags and attributes the Matrix spec suggests clients allow (m.room.message, "HTML").
const allowedTags = [
  'font',
  'del',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'p',
  'a',
  'ul',
  'ol',
  'sup',
  'sub',
  'li',
  'b',
  'i',
  'u',
  'strong',
  'em',
  's',
  'code',
  'hr',
  'br',
  'div',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'caption',
  'pre',
  'span',
  'details',
  'summary',
];

const sanitizeOptions: sanitizeHtml.IOptions = {
  allowedTags,
  allowedAttributes: {
    a: ['href', 'target'],
    ol: ['start'],
    code: ['class'],
    span: ['data-mx-spoiler'],
  },
  allowedSchemes: ['http', 'https', 'ftp', 'mailto', 'magnet'],
  allowedClasses: { code: [/^language-[\w+#-]+$/] },
  transformTags: { a: sanitizeHtml.simpleTransform('a', { target: '_blank', rel: 'noopener' }) },
};

export function renderMarkdown(markdown: string): string {
  return sanitizeHtml(md.render(markdown), sanitizeOptions).trim();
}

/** True when the text needs HTML at all (plain text is sent without `formatted_body`). */
export function looksLikeMarkdown(text: string): boolean {
  return /[*_`#>[\]|~-]|^\s*\d+\.\s|\n\n/m.test(text);
}
