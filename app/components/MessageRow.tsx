// One message bubble. It subscribes to its own message in the store, so a streamed edit re-renders
// this bubble and nothing else. The bot's text is Markdown; a growing reply ends with a cursor.
import * as Clipboard from 'expo-clipboard';
import { memo, useState } from 'react';
import { Pressable, StyleSheet, Text, View } from 'react-native';
import { config } from '../lib/config';
import { Markdown } from '../lib/markdown/Markdown';
import { countRender } from '../lib/perf/renderCounts';
import { useChatStore } from '../lib/store/chat';
import { selectMessage } from '../lib/store/selectors';
import { useTheme } from '../lib/theme/useTheme';
import { formatMessageTime } from '../lib/time';

export interface MessageRowProps {
  roomId: string;
  messageKey: string;
}

function MessageRowView({ roomId, messageKey }: MessageRowProps) {
  countRender('MessageRow');
  countRender(`MessageRow:${messageKey}`);
  const { colors } = useTheme();
  const message = useChatStore(selectMessage(roomId, messageKey));
  const myUserId = useChatStore((s) => s.myUserId);
  const retry = useChatStore((s) => s.retry);
  const [copied, setCopied] = useState(false);
  if (!message) return null;

  const mine = message.sender === myUserId;
  const fromBot = message.sender === config.botUserId;
  const streaming = message.stream === 'streaming';
  const bubbleColor = mine ? colors.myBubble : colors.botBubble;
  const textColor = mine ? colors.myBubbleText : colors.botBubbleText;
  const cursor = streaming ? (
    <Text
      style={[styles.cursor, { color: colors.accent }]}
      accessibilityElementsHidden
      testID="stream-cursor"
    >
      {' ▍'}
    </Text>
  ) : null;

  const copy = () => {
    Clipboard.setStringAsync(message.body)
      .then(() => setCopied(true))
      .catch(() => undefined);
  };

  return (
    <View
      style={[styles.row, mine ? styles.rowMine : styles.rowTheirs]}
      testID={`message-${message.eventId}`}
      accessibilityLabel={`${mine ? 'You' : fromBot ? 'Assistant' : message.sender}: ${message.body}${streaming ? ' (still writing)' : ''}`}
    >
      <View
        style={[
          styles.bubble,
          { backgroundColor: bubbleColor, borderColor: colors.border },
          mine ? styles.bubbleMine : styles.bubbleTheirs,
          message.status === 'failed' && { opacity: 0.7 },
        ]}
        testID={`bubble-${message.stream ?? 'plain'}`}
      >
        {fromBot ? (
          message.body || streaming ? (
            <Markdown source={message.body} colors={colors} textColor={textColor} trailing={cursor} />
          ) : null
        ) : (
          <Text selectable style={[styles.text, { color: textColor }]}>
            {message.body}
          </Text>
        )}
      </View>
      <View style={[styles.meta, mine ? styles.metaMine : null]}>
        {message.status === 'failed' ? (
          <Pressable
            accessibilityRole="button"
            accessibilityLabel="Not sent. Retry sending this message"
            onPress={() => message.txnId && retry(roomId, message.txnId)}
            testID="retry-send"
          >
            <Text style={[styles.metaText, { color: colors.danger }]}>Not sent · Retry</Text>
          </Pressable>
        ) : (
          <Text style={[styles.metaText, { color: colors.textMuted }]}>
            {message.status === 'sending' ? 'Sending…' : formatMessageTime(message.ts)}
            {message.edited && !fromBot ? ' · edited' : ''}
          </Text>
        )}
        {message.body && !streaming ? (
          <Pressable accessibilityRole="button" accessibilityLabel="Copy message" onPress={copy} hitSlop={6}>
            <Text style={[styles.metaText, { color: colors.textMuted }]}>{copied ? 'Copied' : 'Copy'}</Text>
          </Pressable>
        ) : null}
      </View>
    </View>
  );
}

export const MessageRow = memo(MessageRowView);

const styles = StyleSheet.create({
  row: { paddingHorizontal: 12, marginVertical: 4, maxWidth: '100%' },
  rowMine: { alignItems: 'flex-end' },
  rowTheirs: { alignItems: 'flex-start' },
  bubble: { maxWidth: 640, borderRadius: 18, paddingHorizontal: 14, paddingVertical: 10 },
  bubbleMine: { borderBottomRightRadius: 6, maxWidth: '85%' },
  bubbleTheirs: { borderBottomLeftRadius: 6, borderWidth: StyleSheet.hairlineWidth, maxWidth: '92%' },
  text: { fontSize: 16, lineHeight: 22 },
  cursor: { fontWeight: '700' },
  meta: { flexDirection: 'row', gap: 10, marginTop: 3, paddingHorizontal: 6 },
  metaMine: { justifyContent: 'flex-end' },
  metaText: { fontSize: 11.5 },
});
