// Where the session lives between visits on the web: the browser's local storage.
import type { Session } from '../matrix/types';
import { parseSession, SESSION_KEY } from './session-format';

function storage(): Storage | undefined {
  return typeof localStorage === 'undefined' ? undefined : localStorage;
}

export async function loadSession(): Promise<Session | undefined> {
  return parseSession(storage()?.getItem(SESSION_KEY) ?? null);
}

export async function saveSession(session: Session): Promise<void> {
  storage()?.setItem(SESSION_KEY, JSON.stringify(session));
}

export async function clearSession(): Promise<void> {
  storage()?.removeItem(SESSION_KEY);
}
