// Markdown to the HTML subset Matrix clients render (`formatted_body`), safe by construction: raw HTML
// in the text is escaped (markdown-it's `html: false`), links keep to the schemes below, and the renderer
// emits only tags and attributes of the subset the Matrix spec suggests (m.room.message, "HTML"): no
// `style` on table cells nor `title` on links, images as links (clients show only mxc:// images), code classes
// `language-*` only. So no sanitizer pass runs on every reply; test/content.test.ts checks the output
// against sanitize-html with the spec's allow-list, which must find nothing to remove.
import MarkdownIt from 'markdown-it';

/** The link schemes allowed in `href`; links without a scheme (relative) are allowed too. */
export const LINK_SCHEMES = ['http', 'https', 'ftp', 'mailto', 'magnet'];

const SCHEME = /^([a-z][a-z0-9+.-]*):/;
const CODE_LANGUAGE = /^[\w+#-]+$/;

const md = new MarkdownIt({ html: false, linkify: true, breaks: true });

md.validateLink = (url) => {
  const scheme = SCHEME.exec(url.trim().toLowerCase());
  return !scheme || LINK_SCHEMES.includes(scheme[1]!);
};

md.core.ruler.push('clawchat_matrix_subset', (state) => {
  for (const token of state.tokens) {
    // Table alignment comes as `style`, which is not in the subset.
    if (token.type === 'th_open' || token.type === 'td_open') token.attrs = null;
    // The code class is `language-<first word of the info string>`: keep it only when it is a plain name.
    if (token.type === 'fence') {
      const language = token.info.trim().split(/\s+/)[0] ?? '';
      token.info = CODE_LANGUAGE.test(language) ? language : '';
    }
  }
});

const renderToken = md.renderer.renderToken.bind(md.renderer);
md.renderer.rules.link_open = (tokens, idx, options) => {
  const token = tokens[idx]!;
  // `title` is not in the subset.
  token.attrs = (token.attrs ?? []).filter(([name]) => name === 'href');
  token.attrSet('target', '_blank');
  return renderToken(tokens, idx, options);
};
md.renderer.rules.image = (tokens, idx) => {
  const token = tokens[idx]!;
  const src = String(token.attrGet('src') ?? '');
  const alt = token.children ? md.renderer.renderInlineAsText(token.children, md.options, {}) : '';
  const { escapeHtml } = md.utils;
  return `<a href="${escapeHtml(src)}" target="_blank">${escapeHtml(alt || src)}</a>`;
};

export function renderMarkdown(markdown: string): string {
  return md.render(markdown).trim();
}

/** True when the text needs HTML at all (plain text is sent without `formatted_body`). */
export function looksLikeMarkdown(text: string): boolean {
  return /[*_`#>[\]|~-]|^\s*\d+\.\s|\n\n/m.test(text);
}
