import type { Session } from '../matrix/types';

// SecureStore keys may hold only letters, digits, ".", "-" and "_".
export const SESSION_KEY = 'clawchat.session.v1';

export function parseSession(text: string | null): Session | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<Session>;
    if (value.homeserverUrl && value.userId && value.accessToken && value.deviceId) {
      return {
        homeserverUrl: value.homeserverUrl,
        userId: value.userId,
        accessToken: value.accessToken,
        deviceId: value.deviceId,
      };
    }
  } catch {
    // A damaged entry is treated as no session.
  }
  return undefined;
}
