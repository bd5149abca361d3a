import { Stack } from 'expo-router';
import { useTheme } from '../../lib/theme/useTheme';

// A chat opened by a link or a reload still has the conversation list beneath it to go back to.
export const unstable_settings = { initialRouteName: 'index' };

export default function ChatLayout() {
  const { colors } = useTheme();
  return (
    <Stack
      screenOptions={{
        headerStyle: { backgroundColor: colors.surface },
        headerTintColor: colors.text,
        headerTitleStyle: { fontWeight: '700' },
        contentStyle: { backgroundColor: colors.background },
      }}
    />
  );
}
