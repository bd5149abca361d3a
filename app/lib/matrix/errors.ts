// Turns what a homeserver (or the network) said into one sentence a person can act on.

export type AuthAction = 'login' | 'register' | 'discover';
/** What the person was doing: signing in or up, or an action in the app (new chat, rename, …). */
export type ErrorAction = AuthAction | 'chat';

interface ErrorShape {
  name?: unknown;
  message?: unknown;
  errcode?: unknown;
  httpStatus?: unknown;
  data?: { retry_after_ms?: unknown; error?: unknown } | undefined;
}

export class FriendlyError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'FriendlyError';
  }
}

export function isNetworkError(error: unknown): boolean {
  const e = (error ?? {}) as ErrorShape;
  if (e.name === 'ConnectionError' || e.name === 'AbortError' || e.name === 'TimeoutError') return true;
  // fetch rejects with a TypeError when the server cannot be reached (browsers, React Native, Node).
  return e.name === 'TypeError' && typeof e.errcode !== 'string';
}

const registrationClosed = () =>
  new FriendlyError(
    'This homeserver does not let anyone create an account here. Ask its admin for one, then sign in.',
    'registration_closed',
  );

/** Registration asks for a stage other than m.login.dummy (an email, a captcha, terms). */
export const unsupportedRegistration = () =>
  new FriendlyError(
    'Creating an account on this homeserver needs a step ClawChat does not support yet (such as an email ' +
      'address or a captcha). Create it with another Matrix app, then sign in here.',
    'registration_unsupported',
  );

function retryAfterSeconds(e: ErrorShape): number | undefined {
  const ms = e.data?.retry_after_ms;
  return typeof ms === 'number' && ms > 0 ? Math.ceil(ms / 1000) : undefined;
}

export function friendlyError(error: unknown, action: ErrorAction, homeserver?: string): FriendlyError {
  if (error instanceof FriendlyError) return error;
  const e = (error ?? {}) as ErrorShape;
  const where = homeserver ? ` at ${homeserver}` : '';
  if (isNetworkError(error)) {
    const check = action === 'chat' ? 'your connection and try again' : 'the address and your connection';
    return new FriendlyError(`Can't reach the homeserver${where}. Check ${check}.`, 'unreachable');
  }
  switch (e.errcode) {
    case 'M_LIMIT_EXCEEDED': {
      const seconds = retryAfterSeconds(e);
      const wait = seconds ? `in ${seconds} second${seconds === 1 ? '' : 's'}` : 'in a moment';
      return new FriendlyError(`Too many attempts. Please try again ${wait}.`, 'rate_limited');
    }
    case 'M_FORBIDDEN':
      // Synapse with registration off: 403 M_FORBIDDEN "Registration has been disabled".
      if (action === 'register') return registrationClosed();
      return action === 'login'
        ? new FriendlyError('Wrong user name or password.', 'wrong_password')
        : new FriendlyError('This homeserver does not allow that.', 'forbidden');
    case 'M_USER_DEACTIVATED':
      return new FriendlyError('This account has been deactivated.', 'deactivated');
    case 'M_USER_IN_USE':
      return new FriendlyError('That user name is taken. Try another one.', 'user_in_use');
    case 'M_INVALID_USERNAME':
      return new FriendlyError(
        'User names may use lowercase letters, digits and . _ = - / only.',
        'invalid_username',
      );
    case 'M_EXCLUSIVE':
      return new FriendlyError('That user name is reserved. Try another one.', 'reserved');
    case 'M_WEAK_PASSWORD':
      return new FriendlyError('That password is too weak. Try a longer one.', 'weak_password');
    case 'M_UNKNOWN_TOKEN':
      return new FriendlyError('Your session has ended. Please sign in again.', 'session_ended');
    default:
      break;
  }
  if (action === 'register' && (e.httpStatus === 403 || e.httpStatus === 401)) return registrationClosed();
  // In the app, only the homeserver's own words: an exception's message is not for people.
  const message = action !== 'chat' && typeof e.message === 'string' ? e.message : '';
  const detail = typeof e.data?.error === 'string' ? e.data.error : message;
  return new FriendlyError(detail || 'Something went wrong. Please try again.', 'unknown');
}
