// The root: providers, the session restore at launch, and which group of screens is reachable
// (sign-in screens when signed out, conversations when signed in).
import { Stack } from 'expo-router';
import { StatusBar } from 'expo-status-bar';
import { useEffect } from 'react';
import { ActivityIndicator, StyleSheet, View } from 'react-native';
import { GestureHandlerRootView } from 'react-native-gesture-handler';
import { KeyboardProvider } from 'react-native-keyboard-controller';
import { SafeAreaProvider } from 'react-native-safe-area-context';
import { useAuthStore } from '../lib/store/auth';
import { useTheme } from '../lib/theme/useTheme';

export default function RootLayout() {
  const status = useAuthStore((s) => s.status);
  const restore = useAuthStore((s) => s.restore);
  const { colors, scheme } = useTheme();

  useEffect(() => {
    restore().catch(() => undefined);
  }, [restore]);

  return (
    <GestureHandlerRootView style={[styles.root, { backgroundColor: colors.background }]}>
      <KeyboardProvider>
        <SafeAreaProvider>
          <StatusBar style={scheme === 'dark' ? 'light' : 'dark'} />
          {status === 'restoring' ? (
            <View style={styles.center} accessibilityLabel="Loading" accessibilityRole="progressbar">
              <ActivityIndicator size="large" color={colors.accent} />
            </View>
          ) : (
            <Stack
              screenOptions={{
                headerShown: false,
                contentStyle: { backgroundColor: colors.background },
              }}
            >
              <Stack.Protected guard={status === 'signedIn'}>
                <Stack.Screen name="(chat)" />
              </Stack.Protected>
              <Stack.Protected guard={status !== 'signedIn'}>
                <Stack.Screen name="(auth)" />
              </Stack.Protected>
            </Stack>
          )}
        </SafeAreaProvider>
      </KeyboardProvider>
    </GestureHandlerRootView>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1 },
  center: { flex: 1, alignItems: 'center', justifyContent: 'center' },
});
