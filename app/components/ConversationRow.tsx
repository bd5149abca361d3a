// One conversation in the list. Memoized, and subscribed to its own room only: activity in one
// conversation re-renders that row, not the list or the other rows.
import { memo } from 'react';
import { Pressable, StyleSheet, Text, View } from 'react-native';
import { countRender } from '../lib/perf/renderCounts';
import { previewText } from '../lib/preview';
import { useChatStore } from '../lib/store/chat';
import { selectCreatedTs, selectLastMessage, selectRoomName, selectUnread } from '../lib/store/selectors';
import { useTheme } from '../lib/theme/useTheme';
import { formatListTime } from '../lib/time';

export const ROW_HEIGHT = 76;

export interface ConversationRowProps {
  roomId: string;
  onOpen(roomId: string): void;
  onOptions(roomId: string): void;
}

function ConversationRowView({ roomId, onOpen, onOptions }: ConversationRowProps) {
  countRender('ConversationRow');
  const { colors } = useTheme();
  const name = useChatStore(selectRoomName(roomId));
  const last = useChatStore(selectLastMessage(roomId));
  const createdTs = useChatStore(selectCreatedTs(roomId));
  const unread = useChatStore(selectUnread(roomId));
  const myUserId = useChatStore((s) => s.myUserId);

  const preview = last
    ? `${last.sender === myUserId ? 'You: ' : ''}${previewText(last.body) || (last.stream === 'streaming' ? 'Typing…' : '')}`
    : 'No messages yet';
  const time = formatListTime(last?.ts ?? createdTs);
  const label = `${name}. ${preview}. ${time}${unread ? `. ${unread} unread` : ''}`;

  return (
    <View style={[styles.row, { borderBottomColor: colors.border }]}>
      <Pressable
        accessibilityRole="button"
        accessibilityLabel={label}
        accessibilityHint="Opens the conversation"
        onPress={() => onOpen(roomId)}
        onLongPress={() => onOptions(roomId)}
        style={({ pressed }) => [styles.main, pressed && { backgroundColor: colors.surfaceAlt }]}
        testID={`conversation-${roomId}`}
      >
        <View style={[styles.avatar, { backgroundColor: colors.accent }]}>
          <Text style={[styles.avatarText, { color: colors.accentText }]}>
            {(name[0] ?? '?').toUpperCase()}
          </Text>
        </View>
        <View style={styles.texts}>
          <View style={styles.line}>
            <Text style={[styles.name, { color: colors.text }]} numberOfLines={1}>
              {name}
            </Text>
            <Text style={[styles.time, { color: unread ? colors.accent : colors.textMuted }]}>{time}</Text>
          </View>
          <View style={styles.line}>
            <Text
              style={[styles.preview, { color: colors.textMuted }, unread ? { color: colors.text } : null]}
              numberOfLines={1}
            >
              {preview}
            </Text>
            {unread > 0 ? (
              <View style={[styles.badge, { backgroundColor: colors.accent }]}>
                <Text style={[styles.badgeText, { color: colors.accentText }]}>
                  {unread > 99 ? '99+' : unread}
                </Text>
              </View>
            ) : null}
          </View>
        </View>
      </Pressable>
      <Pressable
        accessibilityRole="button"
        accessibilityLabel={`Options for ${name}`}
        onPress={() => onOptions(roomId)}
        hitSlop={8}
        style={styles.more}
      >
        <Text style={[styles.moreText, { color: colors.textMuted }]}>⋯</Text>
      </Pressable>
    </View>
  );
}

export const ConversationRow = memo(ConversationRowView);

const styles = StyleSheet.create({
  row: {
    height: ROW_HEIGHT,
    flexDirection: 'row',
    alignItems: 'center',
    borderBottomWidth: StyleSheet.hairlineWidth,
  },
  main: { flex: 1, height: '100%', flexDirection: 'row', alignItems: 'center', paddingLeft: 16, gap: 12 },
  avatar: { width: 44, height: 44, borderRadius: 22, alignItems: 'center', justifyContent: 'center' },
  avatarText: { fontSize: 18, fontWeight: '700' },
  texts: { flex: 1, gap: 4 },
  line: { flexDirection: 'row', alignItems: 'center', gap: 8 },
  name: { flex: 1, fontSize: 16, fontWeight: '600' },
  time: { fontSize: 12 },
  preview: { flex: 1, fontSize: 14 },
  badge: {
    minWidth: 22,
    height: 22,
    borderRadius: 11,
    paddingHorizontal: 6,
    alignItems: 'center',
    justifyContent: 'center',
  },
  badgeText: { fontSize: 12, fontWeight: '700' },
  more: { width: 44, height: '100%', alignItems: 'center', justifyContent: 'center' },
  moreText: { fontSize: 22 },
});
