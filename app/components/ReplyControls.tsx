// Stop a reply that is still growing, or ask for the last one again. They send the gateway's
// `!stop` / `!retry` commands; the person never types them.
import { Pressable, StyleSheet, Text, View } from 'react-native';
import { useChatStore } from '../lib/store/chat';
import { selectReplyControls } from '../lib/store/selectors';
import { useTheme } from '../lib/theme/useTheme';

export function ReplyControls({ roomId }: { roomId: string }) {
  const { colors } = useTheme();
  const controls = useChatStore(selectReplyControls(roomId));
  const stopReply = useChatStore((s) => s.stopReply);
  const regenerate = useChatStore((s) => s.regenerate);
  if (controls === 'none') return null;
  const stop = controls === 'stop';
  return (
    <View style={styles.bar}>
      <Pressable
        accessibilityRole="button"
        accessibilityLabel={stop ? 'Stop the reply' : 'Regenerate the last reply'}
        onPress={() => (stop ? stopReply(roomId) : regenerate(roomId))}
        style={({ pressed }) => [
          styles.pill,
          { borderColor: colors.border, backgroundColor: pressed ? colors.surfaceAlt : colors.surface },
        ]}
        testID={stop ? 'stop-reply' : 'regenerate-reply'}
      >
        <Text style={[styles.label, { color: colors.text }]}>{stop ? '■  Stop' : '↻  Regenerate'}</Text>
      </Pressable>
    </View>
  );
}

const styles = StyleSheet.create({
  bar: { alignItems: 'center', paddingVertical: 6 },
  pill: { borderWidth: 1, borderRadius: 18, paddingHorizontal: 16, paddingVertical: 7 },
  label: { fontSize: 14, fontWeight: '600' },
});
