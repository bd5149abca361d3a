// Sends our read receipt while a conversation is open: when it opens, when a message arrives, and
// when the newest reply ends (so that the receipt covers its last edit). It renders nothing, so the
// stream state it follows re-renders it alone, never the chat screen.
import { useEffect } from 'react';
import { useChatStore } from '../lib/store/chat';
import { lastMessage } from '../lib/timeline/reducer';

export function ReadReceipt({ roomId }: { roomId: string }) {
  const known = useChatStore((s) => s.rooms[roomId] !== undefined);
  const markRead = useChatStore((s) => s.markRead);
  const newest = useChatStore((s) => {
    const message = lastMessage(s.timelines[roomId]);
    return message ? `${message.key} ${message.stream ?? ''}` : undefined;
  });
  useEffect(() => {
    if (known && newest) markRead(roomId);
  }, [known, newest, roomId, markRead]);
  return null;
}
