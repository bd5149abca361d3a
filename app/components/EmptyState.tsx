import { StyleSheet, Text, View } from 'react-native';
import { useTheme } from '../lib/theme/useTheme';
import { AppLogo } from './AppLogo';
import { Button } from './Button';

export interface EmptyStateProps {
  title: string;
  message: string;
  actionLabel?: string;
  onAction?(): void;
}

export function EmptyState({ title, message, actionLabel, onAction }: EmptyStateProps) {
  const { colors } = useTheme();
  return (
    <View style={styles.root} testID="empty-state">
      <AppLogo size={64} />
      <Text style={[styles.title, { color: colors.text }]} accessibilityRole="header">
        {title}
      </Text>
      <Text style={[styles.message, { color: colors.textMuted }]}>{message}</Text>
      {actionLabel && onAction ? (
        <Button label={actionLabel} onPress={onAction} style={styles.action} />
      ) : null}
    </View>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, alignItems: 'center', justifyContent: 'center', padding: 32, gap: 12 },
  title: { fontSize: 20, fontWeight: '700', textAlign: 'center' },
  message: { fontSize: 15, textAlign: 'center', maxWidth: 360, lineHeight: 21 },
  action: { marginTop: 12, minWidth: 180 },
});
