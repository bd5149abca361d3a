// Module factories for `jest.mock`, shared by the screen and perf tests. A factory is hoisted above
// the test file's imports and may only reach this file through `jest.requireActual`:
//
//   jest.mock('../../lib/storage/session-storage', () =>
//     jest.requireActual('../support/module-mocks').signedInSessionStorage(),
//   );
//
// Everything here is required lazily (inside the functions) so that building a mock never loads the
// module being mocked, or a store that imports it, in the middle of its own factory.

/** session-storage with a stored session: the app starts signed in. */
export function signedInSessionStorage() {
  return {
    loadSession: jest.fn(async () => jest.requireActual('./signed-in').SESSION),
    saveSession: jest.fn(async () => undefined),
    clearSession: jest.fn(async () => undefined),
  };
}

/** The client wrapper with the real helpers, its ChatClient swapped for the fake (and any overrides). */
export function fakeChatClientModule(overrides: Record<string, unknown> = {}) {
  return {
    ...jest.requireActual('../../lib/matrix/client'),
    ChatClient: jest.requireActual('./fake-client').FakeChatClient,
    ...overrides,
  };
}
