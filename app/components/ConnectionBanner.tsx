// Says so when the sync loop has lost the homeserver, and while it reconnects. Each screen holds one;
// only the focused screen shows it (screens below it in the stack stay mounted on the web).
import { useIsFocused } from 'expo-router';
import { Pressable, StyleSheet, Text } from 'react-native';
import { useChatStore } from '../lib/store/chat';
import { useTheme } from '../lib/theme/useTheme';

export function ConnectionBanner() {
  const connection = useChatStore((s) => s.connection);
  const reconnectNow = useChatStore((s) => s.reconnectNow);
  const { colors } = useTheme();
  const focused = useIsFocused();
  if (!focused || (connection !== 'offline' && connection !== 'reconnecting')) return null;
  const text =
    connection === 'offline'
      ? 'No connection to the server. Messages you send will go out when it is back. Tap to retry.'
      : 'Reconnecting…';
  return (
    <Pressable
      accessibilityRole="alert"
      accessibilityLabel={text}
      accessibilityLiveRegion="polite"
      onPress={reconnectNow}
      style={[styles.banner, { backgroundColor: colors.warning }]}
      testID="connection-banner"
    >
      <Text style={[styles.text, { color: colors.warningText }]}>{text}</Text>
    </Pressable>
  );
}

const styles = StyleSheet.create({
  banner: { paddingVertical: 8, paddingHorizontal: 16 },
  text: { fontSize: 13, fontWeight: '600', textAlign: 'center' },
});
