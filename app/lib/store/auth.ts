// The auth store: the session (restored at launch, saved on sign-in, cleared on sign-out) and the
// state of the sign-in and register forms.
import { create } from 'zustand';
import { login, register } from '../matrix/client';
import { discoverHomeserver } from '../matrix/discovery';
import { friendlyError } from '../matrix/errors';
import type { Session } from '../matrix/types';
import { clearSession, loadSession, saveSession } from '../storage/session-storage';
import { setSessionEndedHandler, useChatStore } from './chat';

export type AuthStatus = 'restoring' | 'signedOut' | 'signedIn';

export interface AuthForm {
  homeserver: string;
  username: string;
  password: string;
}

export interface AuthState {
  status: AuthStatus;
  session?: Session;
  busy: boolean;
  error?: string;
  restore(): Promise<void>;
  signIn(form: AuthForm): Promise<boolean>;
  signUp(form: AuthForm): Promise<boolean>;
  signOut(): Promise<void>;
  clearError(): void;
}

export const useAuthStore = create<AuthState>()((set, get) => {
  async function begin(session: Session): Promise<void> {
    set({ status: 'signedIn', session, busy: false, error: undefined });
    await useChatStore.getState().start(session);
  }

  async function authenticate(form: AuthForm, action: 'login' | 'register'): Promise<boolean> {
    if (get().busy) return false;
    if (!form.username.trim() || !form.password) {
      set({ error: 'Enter a user name and a password.' });
      return false;
    }
    set({ busy: true, error: undefined });
    try {
      const homeserverUrl = await discoverHomeserver(form.homeserver);
      const credentials = { homeserverUrl, username: form.username, password: form.password };
      const session = action === 'login' ? await login(credentials) : await register(credentials);
      await saveSession(session);
      await begin(session);
      return true;
    } catch (error) {
      set({ busy: false, error: friendlyError(error, action, form.homeserver).message });
      return false;
    }
  }

  async function endLocally(): Promise<void> {
    await clearSession();
    set({ status: 'signedOut', session: undefined, busy: false });
  }

  setSessionEndedHandler(() => {
    useChatStore.getState().stop();
    endLocally()
      .then(() => set({ error: 'Your session has ended. Please sign in again.' }))
      .catch(() => undefined);
  });

  return {
    status: 'restoring',
    busy: false,

    async restore() {
      const session = await loadSession().catch(() => undefined);
      if (!session) {
        set({ status: 'signedOut' });
        return;
      }
      await begin(session);
    },

    signIn: (form) => authenticate(form, 'login'),
    signUp: (form) => authenticate(form, 'register'),

    async signOut() {
      set({ busy: true });
      await useChatStore.getState().signOut();
      await endLocally();
    },

    clearError() {
      if (get().error) set({ error: undefined });
    },
  };
});
