// Helpers for screen tests that start signed in: a stored session and a seeded chat store.
import { act } from '@testing-library/react-native';
import type { RoomMeta } from '../../lib/matrix/client';
import type { TimelineEvent } from '../../lib/matrix/types';
import { useAuthStore } from '../../lib/store/auth';
import { useChatStore } from '../../lib/store/chat';
import { ME } from './events';
import { FakeChatClient } from './fake-client';

export const SESSION = { homeserverUrl: 'http://hs', userId: ME, accessToken: 't', deviceId: 'D' };

export function resetStores(): void {
  FakeChatClient.last = undefined;
  useChatStore.getState().stop();
  useAuthStore.setState({ status: 'restoring', session: undefined, busy: false, error: undefined });
}

export function room(roomId: string, name = '', createdTs = 1): RoomMeta {
  return { roomId, name, createdTs, canPaginate: false };
}

/** Plays the client's side: rooms and events arrive, the first sync is done. */
export async function seed(rooms: RoomMeta[], events: Record<string, TimelineEvent[]> = {}): Promise<void> {
  await act(async () => {
    const s = useChatStore.getState();
    for (const meta of rooms) s.receiveRoom(meta);
    for (const [roomId, list] of Object.entries(events)) s.receiveEvents(roomId, list, 'forward');
    s.setConnection('online');
  });
}
