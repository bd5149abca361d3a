// Renders the real app directory (its layouts and screens) with expo-router's test router, with
// stores and storage seeded by the test.

import { join } from 'node:path';
import { renderRouter } from 'expo-router/testing-library';

export const appDirectory = join(__dirname, '..', '..', 'app');

export function renderApp(initialUrl: string) {
  return renderRouter(appDirectory, { initialUrl });
}
