// The bot is writing: three dots in a bubble, announced to screen readers.
import { StyleSheet, Text, View } from 'react-native';
import { useTheme } from '../lib/theme/useTheme';

export function TypingBubble({ visible }: { visible: boolean }) {
  const { colors } = useTheme();
  if (!visible) return null;
  return (
    <View
      style={styles.row}
      accessibilityRole="text"
      accessibilityLabel="The assistant is typing"
      accessibilityLiveRegion="polite"
      testID="typing-indicator"
    >
      <View style={[styles.bubble, { backgroundColor: colors.botBubble, borderColor: colors.border }]}>
        <Text style={[styles.dots, { color: colors.textMuted }]}>•••</Text>
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  row: { paddingHorizontal: 12, marginVertical: 6, alignItems: 'flex-start' },
  bubble: {
    borderRadius: 18,
    borderBottomLeftRadius: 6,
    borderWidth: StyleSheet.hairlineWidth,
    paddingHorizontal: 16,
    paddingVertical: 8,
  },
  dots: { fontSize: 18, letterSpacing: 2 },
});
