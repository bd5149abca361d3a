// The form both sign-in and register use: homeserver (prefilled from config), user name, password.
import { Link } from 'expo-router';
import { useState } from 'react';
import { KeyboardAvoidingView, Platform, ScrollView, StyleSheet, Text, View } from 'react-native';
import { SafeAreaView } from 'react-native-safe-area-context';
import { config } from '../lib/config';
import type { AuthForm as AuthFormValues } from '../lib/store/auth';
import { useAuthStore } from '../lib/store/auth';
import { useTheme } from '../lib/theme/useTheme';
import { AppLogo } from './AppLogo';
import { Button } from './Button';
import { TextField } from './TextField';

export interface AuthFormProps {
  mode: 'login' | 'register';
}

export function AuthForm({ mode }: AuthFormProps) {
  const { colors } = useTheme();
  const busy = useAuthStore((s) => s.busy);
  const error = useAuthStore((s) => s.error);
  const signIn = useAuthStore((s) => s.signIn);
  const signUp = useAuthStore((s) => s.signUp);
  const clearError = useAuthStore((s) => s.clearError);
  const [form, setForm] = useState<AuthFormValues>({
    homeserver: config.matrixHomeserver,
    username: '',
    password: '',
  });
  const [confirm, setConfirm] = useState('');
  const [localError, setLocalError] = useState<string>();
  const isLogin = mode === 'login';

  const update = (field: keyof AuthFormValues) => (value: string) => {
    setForm((f) => ({ ...f, [field]: value }));
    setLocalError(undefined);
    clearError();
  };

  const submit = () => {
    if (!isLogin && form.password !== confirm) {
      setLocalError('The passwords do not match.');
      return;
    }
    void (isLogin ? signIn(form) : signUp(form));
  };

  const shownError = localError ?? error;
  return (
    <SafeAreaView style={[styles.safe, { backgroundColor: colors.background }]}>
      <KeyboardAvoidingView style={styles.flex} behavior={Platform.OS === 'ios' ? 'padding' : undefined}>
        <ScrollView contentContainerStyle={styles.scroll} keyboardShouldPersistTaps="handled">
          <View style={[styles.card, { backgroundColor: colors.surface, borderColor: colors.border }]}>
            <AppLogo />
            <Text style={[styles.title, { color: colors.text }]} accessibilityRole="header">
              {isLogin ? 'Welcome back' : 'Create your account'}
            </Text>
            <Text style={[styles.subtitle, { color: colors.textMuted }]}>
              {isLogin
                ? 'Sign in to chat with your AI friend.'
                : 'Pick a user name and start chatting in seconds.'}
            </Text>
            <TextField
              label="Homeserver"
              value={form.homeserver}
              onChangeText={update('homeserver')}
              keyboardType="url"
              placeholder="matrix.example.org"
              hint="Your Matrix server: an address like example.org or https://matrix.example.org"
              testID="homeserver-input"
            />
            <TextField
              label="User name"
              value={form.username}
              onChangeText={update('username')}
              placeholder="alice"
              autoComplete="username"
              textContentType="username"
              testID="username-input"
            />
            <TextField
              label="Password"
              value={form.password}
              onChangeText={update('password')}
              secureTextEntry
              autoComplete={isLogin ? 'current-password' : 'new-password'}
              textContentType={isLogin ? 'password' : 'newPassword'}
              onSubmitEditing={isLogin ? submit : undefined}
              testID="password-input"
            />
            {!isLogin ? (
              <TextField
                label="Confirm password"
                value={confirm}
                onChangeText={(value) => {
                  setConfirm(value);
                  setLocalError(undefined);
                }}
                secureTextEntry
                autoComplete="new-password"
                onSubmitEditing={submit}
                testID="confirm-input"
              />
            ) : null}
            {shownError ? (
              <Text
                accessibilityRole="alert"
                style={[styles.error, { color: colors.danger }]}
                testID="auth-error"
              >
                {shownError}
              </Text>
            ) : null}
            <Button
              label={isLogin ? 'Sign in' : 'Create account'}
              onPress={submit}
              busy={busy}
              testID="auth-submit"
            />
            <View style={styles.switch}>
              <Text style={{ color: colors.textMuted }}>
                {isLogin ? 'New here?' : 'Already have an account?'}
              </Text>
              <Link
                href={isLogin ? '/register' : '/login'}
                replace
                accessibilityRole="link"
                style={[styles.link, { color: colors.link }]}
                onPress={() => clearError()}
              >
                {isLogin ? 'Create an account' : 'Sign in'}
              </Link>
            </View>
          </View>
        </ScrollView>
      </KeyboardAvoidingView>
    </SafeAreaView>
  );
}

const styles = StyleSheet.create({
  safe: { flex: 1 },
  flex: { flex: 1 },
  scroll: { flexGrow: 1, justifyContent: 'center', padding: 20 },
  card: {
    width: '100%',
    maxWidth: 440,
    alignSelf: 'center',
    borderRadius: 20,
    borderWidth: StyleSheet.hairlineWidth,
    padding: 24,
    gap: 16,
  },
  title: { fontSize: 26, fontWeight: '800', textAlign: 'center' },
  subtitle: { fontSize: 15, textAlign: 'center', marginTop: -8 },
  error: { fontSize: 14, fontWeight: '600' },
  switch: { flexDirection: 'row', justifyContent: 'center', gap: 6, flexWrap: 'wrap' },
  link: { fontWeight: '600' },
});
