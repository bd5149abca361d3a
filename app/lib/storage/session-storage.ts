// Where the session lives between launches on phones: the platform keychain / keystore.
import * as SecureStore from 'expo-secure-store';
import type { Session } from '../matrix/types';
import { parseSession, SESSION_KEY } from './session-format';

export async function loadSession(): Promise<Session | undefined> {
  return parseSession(await SecureStore.getItemAsync(SESSION_KEY));
}

export async function saveSession(session: Session): Promise<void> {
  await SecureStore.setItemAsync(SESSION_KEY, JSON.stringify(session));
}

export async function clearSession(): Promise<void> {
  await SecureStore.deleteItemAsync(SESSION_KEY);
}
