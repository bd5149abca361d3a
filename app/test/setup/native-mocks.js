// The mocks the native libraries ship for Jest (no native side runs under jest-expo).
require('react-native-gesture-handler/jestSetup');

jest.mock('react-native-worklets', () => require('react-native-worklets/src/mock'));
jest.mock('react-native-reanimated', () => {
  // The mock keeps some named exports (Easing…) only on its default export: offer both ways.
  const mock = require('react-native-reanimated/mock');
  return { ...mock.default, ...mock, __esModule: true };
});
jest.mock('react-native-keyboard-controller', () => require('react-native-keyboard-controller/jest'));
jest.mock('expo-clipboard', () => ({ setStringAsync: jest.fn(async () => true) }));
jest.mock('@react-native-community/netinfo', () =>
  require('@react-native-community/netinfo/jest/netinfo-mock.js'),
);
