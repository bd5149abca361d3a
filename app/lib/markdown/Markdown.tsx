// Renders the bot's Markdown (the `body` of its messages) with native components: paragraphs,
// headings, emphasis, inline code, fenced code blocks, lists, quotes, links and tables. Raw HTML is
// shown as text, never interpreted.
import { lexer, type Token, type Tokens } from 'marked';
import { memo, type ReactNode, useMemo } from 'react';
import { Linking, Platform, ScrollView, StyleSheet, Text, type TextStyle, View } from 'react-native';
import type { Palette } from '../theme/colors';

export interface MarkdownProps {
  source: string;
  colors: Palette;
  textColor: string;
  /** Appended to the last line (the streaming cursor). */
  trailing?: ReactNode;
}

const mono = Platform.select({
  ios: 'Menlo',
  android: 'monospace',
  default: 'ui-monospace, Menlo, monospace',
});

function openLink(href: string): void {
  if (/^(https?:|mailto:)/i.test(href)) Linking.openURL(href).catch(() => undefined);
}

interface Ctx {
  colors: Palette;
  textColor: string;
}

function inline(tokens: Token[] | undefined, ctx: Ctx, keyPrefix: string): ReactNode[] {
  return (tokens ?? []).map((token, i) => {
    const key = `${keyPrefix}.${i}`;
    switch (token.type) {
      case 'strong':
        return (
          <Text key={key} style={styles.strong}>
            {inline((token as Tokens.Strong).tokens, ctx, key)}
          </Text>
        );
      case 'em':
        return (
          <Text key={key} style={styles.em}>
            {inline((token as Tokens.Em).tokens, ctx, key)}
          </Text>
        );
      case 'del':
        return (
          <Text key={key} style={styles.del}>
            {inline((token as Tokens.Del).tokens, ctx, key)}
          </Text>
        );
      case 'codespan':
        return (
          <Text key={key} style={[styles.codespan, { backgroundColor: ctx.colors.codeBackground }]}>
            {(token as Tokens.Codespan).text}
          </Text>
        );
      case 'link': {
        const link = token as Tokens.Link;
        return (
          <Text
            key={key}
            accessibilityRole="link"
            style={[styles.link, { color: ctx.colors.link }]}
            onPress={() => openLink(link.href)}
          >
            {inline(link.tokens, ctx, key)}
          </Text>
        );
      }
      case 'br':
        return <Text key={key}>{'\n'}</Text>;
      case 'text': {
        const text = token as Tokens.Text;
        return text.tokens ? <Text key={key}>{inline(text.tokens, ctx, key)}</Text> : decode(text.text);
      }
      case 'escape':
        return (token as Tokens.Escape).text;
      default:
        return 'raw' in token ? decode(token.raw) : '';
    }
  });
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
};

function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] ?? entity);
}

function block(token: Token, ctx: Ctx, key: string, trailing: ReactNode): ReactNode {
  const textStyle: TextStyle = { color: ctx.textColor };
  switch (token.type) {
    case 'space':
      return null;
    case 'paragraph':
      return (
        <Text key={key} style={[styles.paragraph, textStyle]}>
          {inline((token as Tokens.Paragraph).tokens, ctx, key)}
          {trailing}
        </Text>
      );
    case 'heading': {
      const heading = token as Tokens.Heading;
      return (
        <Text
          key={key}
          accessibilityRole="header"
          style={[
            styles.paragraph,
            textStyle,
            styles.heading,
            { fontSize: Math.max(16, 24 - heading.depth * 2) },
          ]}
        >
          {inline(heading.tokens, ctx, key)}
          {trailing}
        </Text>
      );
    }
    case 'code': {
      const code = token as Tokens.Code;
      return (
        <View
          key={key}
          style={[
            styles.codeBlock,
            { backgroundColor: ctx.colors.codeBackground, borderColor: ctx.colors.border },
          ]}
          accessibilityLabel={`Code block${code.lang ? ` (${code.lang})` : ''}`}
        >
          {code.lang ? (
            <Text style={[styles.codeLang, { color: ctx.colors.textMuted }]}>{code.lang}</Text>
          ) : null}
          <ScrollView horizontal showsHorizontalScrollIndicator={false}>
            <Text selectable style={[styles.code, textStyle]}>
              {code.text}
              {trailing}
            </Text>
          </ScrollView>
        </View>
      );
    }
    case 'list': {
      const list = token as Tokens.List;
      const start = typeof list.start === 'number' ? list.start : 1;
      return (
        <View key={key} style={styles.list}>
          {list.items.map((item, i) => {
            const itemKey = `${key}.${i}`;
            const bullet = list.ordered ? `${start + i}.` : item.task ? (item.checked ? '☑' : '☐') : '•';
            const last = i === list.items.length - 1;
            return (
              <View key={itemKey} style={styles.listItem}>
                <Text style={[styles.bullet, textStyle]}>{bullet}</Text>
                <View style={styles.listBody}>
                  {blocks(item.tokens, ctx, itemKey, last ? trailing : null)}
                </View>
              </View>
            );
          })}
        </View>
      );
    }
    case 'blockquote':
      return (
        <View key={key} style={[styles.quote, { borderLeftColor: ctx.colors.border }]}>
          {blocks((token as Tokens.Blockquote).tokens, ctx, key, trailing)}
        </View>
      );
    case 'hr':
      return <View key={key} style={[styles.hr, { backgroundColor: ctx.colors.border }]} />;
    case 'table': {
      const table = token as Tokens.Table;
      const row = (cells: Tokens.TableCell[], rowKey: string, header: boolean) => (
        <View key={rowKey} style={[styles.tableRow, { borderColor: ctx.colors.border }]}>
          {cells.map((cell, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: table cells have no identity but their column
            <Text key={`${rowKey}.${i}`} style={[styles.tableCell, textStyle, header ? styles.strong : null]}>
              {inline(cell.tokens, ctx, `${rowKey}.${i}`)}
            </Text>
          ))}
        </View>
      );
      return (
        <ScrollView key={key} horizontal style={styles.table}>
          <View>
            {row(table.header, `${key}.h`, true)}
            {table.rows.map((cells, i) => row(cells, `${key}.${i}`, false))}
          </View>
        </ScrollView>
      );
    }
    case 'text': {
      // Inside tight list items, marked yields bare text tokens holding inline tokens.
      const text = token as Tokens.Text;
      return (
        <Text key={key} style={[styles.paragraph, textStyle]}>
          {text.tokens ? inline(text.tokens, ctx, key) : decode(text.text)}
          {trailing}
        </Text>
      );
    }
    default:
      return (
        <Text key={key} style={[styles.paragraph, textStyle]}>
          {'raw' in token ? token.raw.trim() : ''}
          {trailing}
        </Text>
      );
  }
}

function blocks(tokens: Token[], ctx: Ctx, keyPrefix: string, trailing: ReactNode): ReactNode[] {
  const visible = tokens.filter((t) => t.type !== 'space');
  const out = visible.map((token, i) =>
    block(token, ctx, `${keyPrefix}.${i}`, i === visible.length - 1 ? trailing : null),
  );
  if (visible.length === 0 && trailing) out.push(<Text key={`${keyPrefix}.t`}>{trailing}</Text>);
  return out;
}

function MarkdownView({ source, colors, textColor, trailing }: MarkdownProps) {
  const tokens = useMemo(() => {
    try {
      return lexer(source);
    } catch {
      return [
        {
          type: 'paragraph',
          raw: source,
          text: source,
          tokens: [{ type: 'text', raw: source, text: source }],
        },
      ] as Token[];
    }
  }, [source]);
  const ctx = useMemo(() => ({ colors, textColor }), [colors, textColor]);
  return <View style={styles.root}>{blocks(tokens, ctx, 'md', trailing ?? null)}</View>;
}

export const Markdown = memo(MarkdownView);

const styles = StyleSheet.create({
  root: { gap: 6 },
  paragraph: { fontSize: 16, lineHeight: 23 },
  heading: { fontWeight: '700', marginTop: 4 },
  strong: { fontWeight: '700' },
  em: { fontStyle: 'italic' },
  del: { textDecorationLine: 'line-through' },
  link: { textDecorationLine: 'underline' },
  codespan: { fontFamily: mono, fontSize: 14, borderRadius: 4, paddingHorizontal: 3 },
  codeBlock: { borderRadius: 8, borderWidth: StyleSheet.hairlineWidth, padding: 10 },
  codeLang: { fontSize: 11, marginBottom: 4, textTransform: 'uppercase', letterSpacing: 0.5 },
  code: { fontFamily: mono, fontSize: 13.5, lineHeight: 19 },
  list: { gap: 4 },
  listItem: { flexDirection: 'row', gap: 8 },
  bullet: { fontSize: 16, lineHeight: 23, minWidth: 14 },
  listBody: { flex: 1, gap: 4 },
  quote: { borderLeftWidth: 3, paddingLeft: 10, opacity: 0.9 },
  hr: { height: StyleSheet.hairlineWidth, marginVertical: 6 },
  table: { flexGrow: 0 },
  tableRow: { flexDirection: 'row', borderBottomWidth: StyleSheet.hairlineWidth },
  tableCell: { minWidth: 90, padding: 6, fontSize: 14 },
});
