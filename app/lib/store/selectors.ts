// Selectors shared by screens and rows. Each returns a primitive or an object the store keeps
// stable, so a component re-renders only when what it shows has changed.
import { config } from '../config';
import { lastMessage, streamingMessage, unreadCount } from '../timeline/reducer';
import type { ChatState } from './chat';

export const DEFAULT_ROOM_NAME = 'New chat';

export const selectRoomName = (roomId: string) => (s: ChatState) =>
  s.rooms[roomId]?.name || DEFAULT_ROOM_NAME;

export const selectLastMessage = (roomId: string) => (s: ChatState) => lastMessage(s.timelines[roomId]);

export const selectCreatedTs = (roomId: string) => (s: ChatState) => s.rooms[roomId]?.createdTs ?? 0;

export const selectUnread = (roomId: string) => (s: ChatState) =>
  unreadCount(s.timelines[roomId], s.myUserId, s.rooms[roomId]?.readUpTo);

export const selectMessage = (roomId: string, key: string) => (s: ChatState) =>
  s.timelines[roomId]?.messages[key];

export const selectShells = (roomId: string) => (s: ChatState) => s.timelines[roomId]?.shells;

export const selectBotTyping = (roomId: string) => (s: ChatState) =>
  s.typing[roomId]?.includes(config.botUserId) ?? false;

/** What the reply controls offer: stop a growing reply, or regenerate the last one. */
export type ReplyControls = 'stop' | 'regenerate' | 'none';

export const selectReplyControls =
  (roomId: string) =>
  (s: ChatState): ReplyControls => {
    const t = s.timelines[roomId];
    if (streamingMessage(t, config.botUserId)) return 'stop';
    const last = lastMessage(t);
    return last && last.sender === config.botUserId ? 'regenerate' : 'none';
  };

/** Room ids matching a search (name or any loaded message text), in list order. */
export function searchRooms(s: ChatState, query: string): string[] {
  const q = query.trim().toLowerCase();
  if (!q) return s.roomOrder;
  return s.roomOrder.filter((roomId) => {
    const name = s.rooms[roomId]?.name || DEFAULT_ROOM_NAME;
    if (name.toLowerCase().includes(q)) return true;
    const messages = s.timelines[roomId]?.messages ?? {};
    return Object.values(messages).some((m) => m.body.toLowerCase().includes(q));
  });
}
