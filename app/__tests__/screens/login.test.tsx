import { fireEvent, screen, waitFor } from '@testing-library/react-native';
import { config } from '../../lib/config';
import { useAuthStore } from '../../lib/store/auth';
import { renderApp } from '../support/render';

const mockLogin = jest.fn();
const mockDiscover = jest.fn();

jest.mock('../../lib/storage/session-storage', () => {
  let stored: unknown;
  return {
    loadSession: jest.fn(async () => stored),
    saveSession: jest.fn(async (s: unknown) => {
      stored = s;
    }),
    clearSession: jest.fn(async () => {
      stored = undefined;
    }),
  };
});
jest.mock('../../lib/matrix/discovery', () => ({
  discoverHomeserver: (...a: unknown[]) => mockDiscover(...a),
}));
jest.mock('../../lib/matrix/client', () =>
  jest.requireActual('../support/module-mocks').fakeChatClientModule({
    login: (...a: unknown[]) => mockLogin(...a),
  }),
);

beforeEach(() => {
  mockLogin.mockReset();
  mockDiscover.mockReset();
  useAuthStore.setState({ status: 'restoring', session: undefined, busy: false, error: undefined });
});

describe('sign-in screen', () => {
  it('prefills the homeserver from config and labels every control', async () => {
    renderApp('/login');
    expect(await screen.findByText('Welcome back')).toBeTruthy();
    expect(screen.getByLabelText('Homeserver').props.value).toBe(config.matrixHomeserver);
    expect(screen.getByLabelText('User name')).toBeTruthy();
    expect(screen.getByLabelText('Password')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
  });

  it('shows a clear error for a wrong password', async () => {
    mockDiscover.mockResolvedValue('http://hs');
    mockLogin.mockRejectedValue({ errcode: 'M_FORBIDDEN', httpStatus: 403 });
    renderApp('/login');
    fireEvent.changeText(await screen.findByLabelText('User name'), 'alice');
    fireEvent.changeText(screen.getByLabelText('Password'), 'wrong');
    fireEvent.press(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('Wrong user name or password.')).toBeTruthy();
  });

  it('shows a clear error when the homeserver cannot be reached', async () => {
    mockDiscover.mockRejectedValue(Object.assign(new TypeError('Failed to fetch')));
    renderApp('/login');
    fireEvent.changeText(await screen.findByLabelText('User name'), 'alice');
    fireEvent.changeText(screen.getByLabelText('Password'), 'pw');
    fireEvent.press(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText(/Can't reach the homeserver/)).toBeTruthy();
  });

  it('signs in, saves the session and opens the conversations', async () => {
    mockDiscover.mockResolvedValue('http://hs');
    mockLogin.mockResolvedValue({
      homeserverUrl: 'http://hs',
      userId: '@alice:hs',
      accessToken: 't',
      deviceId: 'D',
    });
    renderApp('/login');
    fireEvent.changeText(await screen.findByLabelText('User name'), 'alice');
    fireEvent.changeText(screen.getByLabelText('Password'), 'secret');
    fireEvent.press(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(useAuthStore.getState().status).toBe('signedIn'));
    expect(mockLogin).toHaveBeenCalledWith({
      homeserverUrl: 'http://hs',
      username: 'alice',
      password: 'secret',
    });
    expect(await screen.findByLabelText('Loading conversations')).toBeTruthy();
  });
});
