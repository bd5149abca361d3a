import { fireEvent, screen, waitFor } from '@testing-library/react-native';
import { useAuthStore } from '../../lib/store/auth';
import { renderApp } from '../support/render';

const mockRegister = jest.fn();
const mockSave = jest.fn();

jest.mock('../../lib/storage/session-storage', () => ({
  loadSession: jest.fn(async () => undefined),
  saveSession: jest.fn(async (s: unknown) => mockSave(s)),
  clearSession: jest.fn(async () => undefined),
}));
jest.mock('../../lib/matrix/discovery', () => ({ discoverHomeserver: async () => 'http://hs' }));
jest.mock('../../lib/matrix/client', () =>
  jest.requireActual('../support/module-mocks').fakeChatClientModule({
    register: (...a: unknown[]) => mockRegister(...a),
  }),
);

beforeEach(() => {
  mockRegister.mockReset();
  mockSave.mockReset();
  useAuthStore.setState({ status: 'restoring', session: undefined, busy: false, error: undefined });
});

async function fill(username: string, password: string, confirm = password) {
  fireEvent.changeText(await screen.findByLabelText('User name'), username);
  fireEvent.changeText(screen.getByLabelText('Password'), password);
  fireEvent.changeText(screen.getByLabelText('Confirm password'), confirm);
  fireEvent.press(screen.getByRole('button', { name: 'Create account' }));
}

describe('register screen', () => {
  it('checks that the passwords match before asking the server', async () => {
    renderApp('/register');
    await fill('alice', 'one', 'two');
    expect(await screen.findByText('The passwords do not match.')).toBeTruthy();
    expect(mockRegister).not.toHaveBeenCalled();
  });

  it('says so when the user name is taken', async () => {
    mockRegister.mockRejectedValue({ errcode: 'M_USER_IN_USE', httpStatus: 400 });
    renderApp('/register');
    await fill('alice', 'secret');
    expect(await screen.findByText('That user name is taken. Try another one.')).toBeTruthy();
  });

  it('says so when the server is rate limiting', async () => {
    mockRegister.mockRejectedValue({
      errcode: 'M_LIMIT_EXCEEDED',
      httpStatus: 429,
      data: { retry_after_ms: 3000 },
    });
    renderApp('/register');
    await fill('alice', 'secret');
    expect(await screen.findByText('Too many attempts. Please try again in 3 seconds.')).toBeTruthy();
  });

  it('registers, keeps the session and signs in', async () => {
    const session = { homeserverUrl: 'http://hs', userId: '@alice:hs', accessToken: 't', deviceId: 'D' };
    mockRegister.mockResolvedValue(session);
    renderApp('/register');
    await fill('alice', 'secret');
    await waitFor(() => expect(useAuthStore.getState().status).toBe('signedIn'));
    expect(mockRegister).toHaveBeenCalledWith({
      homeserverUrl: 'http://hs',
      username: 'alice',
      password: 'secret',
    });
    expect(mockSave).toHaveBeenCalledWith(session);
  });
});
