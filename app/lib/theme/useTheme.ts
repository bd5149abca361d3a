import { useColorScheme } from 'react-native';
import { dark, light, type Palette } from './colors';

export interface Theme {
  scheme: 'light' | 'dark';
  colors: Palette;
}

const LIGHT: Theme = { scheme: 'light', colors: light };
const DARK: Theme = { scheme: 'dark', colors: dark };

/** The palette that follows the system's light or dark setting. */
export function useTheme(): Theme {
  return useColorScheme() === 'dark' ? DARK : LIGHT;
}
