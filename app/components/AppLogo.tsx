// The ClawChat mark: drawn with views and text, so it needs no image asset nor emoji font.
import { StyleSheet, Text, View } from 'react-native';
import { useTheme } from '../lib/theme/useTheme';

export function AppLogo({ size = 56 }: { size?: number }) {
  const { colors } = useTheme();
  return (
    <View
      accessibilityElementsHidden
      importantForAccessibility="no"
      style={[
        styles.mark,
        { width: size, height: size, borderRadius: size * 0.3, backgroundColor: colors.accent },
      ]}
    >
      <Text style={[styles.letter, { color: colors.accentText, fontSize: size * 0.5 }]}>C</Text>
      <View
        style={[styles.tail, { borderTopColor: colors.accent, left: size * 0.18, bottom: -size * 0.12 }]}
      />
    </View>
  );
}

const styles = StyleSheet.create({
  mark: { alignItems: 'center', justifyContent: 'center', alignSelf: 'center' },
  letter: { fontWeight: '800' },
  tail: {
    position: 'absolute',
    width: 0,
    height: 0,
    borderLeftWidth: 8,
    borderRightWidth: 8,
    borderTopWidth: 10,
    borderLeftColor: 'transparent',
    borderRightColor: 'transparent',
  },
});
