// Unit tests: jest-expo (React Native environment) + @testing-library/react-native.
const { dirname } = require('node:path');

// npm may hoist a newer React (a peer of expo) to the workspace root while the app pins the one
// react-native's renderer is built for: every import of react must get the app's copy.
const reactDir = dirname(require.resolve('react/package.json', { paths: [__dirname] }));
// Likewise the testing library may sit in app/node_modules, out of reach of expo-router's copy.
const testingLibrary = require.resolve('@testing-library/react-native', { paths: [__dirname] });
const esmPackages = [
  '.pnpm',
  'react-native',
  '@react-native',
  '@react-native-community',
  'expo',
  '@expo',
  '@expo-google-fonts',
  'react-navigation',
  '@react-navigation',
  '@sentry/react-native',
  'native-base',
  'standard-navigation',
  'expo-router',
  'react-native-gifted-chat',
  'react-native-zoom-reanimated',
  'react-native-keyboard-controller',
  'matrix-js-sdk',
  'p-retry',
  'is-network-error',
  'content-type',
  'bs58',
  'base-x',
  'marked',
  '@clawchat',
];

module.exports = {
  preset: 'jest-expo',
  // The first render of a suite loads the whole router and its screens: allow for a slow machine.
  testTimeout: 30_000,
  setupFiles: ['<rootDir>/test/setup/polyfills.js', '<rootDir>/test/setup/native-mocks.js'],
  testMatch: ['<rootDir>/**/__tests__/**/*.test.ts?(x)'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.artifacts/', '/test/browser/', '/bench/'],
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')}))`],
  moduleNameMapper: {
    '^@/(.*)$': '<rootDir>/$1',
    '^react$': reactDir,
    '^react/(.*)$': `${reactDir}/$1`,
    '^@testing-library/react-native$': testingLibrary,
  },
};
