// The chat store: conversations, their timelines, typing and the connection, fed by the client
// wrapper's listener. Updates are copy-on-write and keep untouched objects as they were, so a
// component that selects one room or one message re-renders only when that one changes.
import { create } from 'zustand';
import { config } from '../config';
import { ChatClient, type ClientListener, type RoomMeta } from '../matrix/client';
import { COMMANDS } from '../matrix/protocol';
import type { ConnectionState, Session, TimelineEvent } from '../matrix/types';
import { watchDeviceNetwork } from '../network/device-network';
import { applyEvents, emptyTimeline, lastMessage } from '../timeline/reducer';
import type { RoomTimeline } from '../timeline/types';
import { createBackfill } from './backfill';

export interface ChatState {
  myUserId: string;
  connection: ConnectionState;
  /** The first sync has been processed: the list is complete. */
  ready: boolean;
  rooms: Record<string, RoomMeta>;
  timelines: Record<string, RoomTimeline>;
  typing: Record<string, string[]>;
  /** Room ids, newest activity first. A new array only when the order changes. */
  roomOrder: string[];
  loadingOlder: Record<string, boolean>;

  start(session: Session): Promise<void>;
  stop(): void;
  signOut(): Promise<void>;
  createChat(): Promise<string>;
  renameChat(roomId: string, name: string): Promise<void>;
  leaveChat(roomId: string): Promise<void>;
  deleteChat(roomId: string): Promise<void>;
  send(roomId: string, text: string): void;
  retry(roomId: string, txnId: string): void;
  stopReply(roomId: string): void;
  regenerate(roomId: string): void;
  loadOlder(roomId: string, limit?: number): Promise<void>;
  markRead(roomId: string): void;
  /** Tells the others in the room whether we are typing (the composer throttles it). */
  notifyTyping(roomId: string, typing: boolean): void;
  reconnectNow(): void;
  /** Pull to refresh: resolves once the rooms are reported again and those with nothing to show paged back. */
  refresh(): Promise<void>;

  /** Listener side (the client wrapper calls these; tests may too). */
  receiveEvents(roomId: string, events: TimelineEvent[], direction: 'forward' | 'backward'): void;
  resetTimeline(roomId: string): void;
  receiveRoom(meta: RoomMeta): void;
  removeRoom(roomId: string): void;
  setConnection(state: ConnectionState): void;
  setTyping(roomId: string, userIds: string[]): void;
}

let client: ChatClient | undefined;
let onSessionEnded: (() => void) | undefined;

/** The auth store registers what to do when the homeserver ends the session. */
export function setSessionEndedHandler(handler: (() => void) | undefined): void {
  onSessionEnded = handler;
}

const initial = {
  myUserId: '',
  connection: 'idle' as ConnectionState,
  ready: false,
  rooms: {},
  timelines: {},
  typing: {},
  roomOrder: [],
  loadingOlder: {},
};

/** Newest activity of a room: its last message, or when it was made. */
export function lastActivity(state: Pick<ChatState, 'rooms' | 'timelines'>, roomId: string): number {
  return lastMessage(state.timelines[roomId])?.ts ?? state.rooms[roomId]?.createdTs ?? 0;
}

function sameArray(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function sameMeta(a: RoomMeta | undefined, b: RoomMeta): boolean {
  return (
    a !== undefined &&
    a.name === b.name &&
    a.createdTs === b.createdTs &&
    a.readUpTo === b.readUpTo &&
    a.canPaginate === b.canPaginate
  );
}

/** Names a new conversation after its first message, as chat apps do. */
function titleFrom(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 40 ? `${line.slice(0, 39)}…` : line;
}

function requireClient(): ChatClient {
  if (!client) throw new Error('Not signed in.');
  return client;
}

export const useChatStore = create<ChatState>()((set, get) => {
  let orderScheduled = false;

  function scheduleOrder(): void {
    if (orderScheduled) return;
    orderScheduled = true;
    queueMicrotask(() => {
      orderScheduled = false;
      const state = get();
      const next = Object.keys(state.rooms).sort((a, b) => lastActivity(state, b) - lastActivity(state, a));
      if (!sameArray(next, state.roomOrder)) set({ roomOrder: next });
    });
  }

  const backfill = createBackfill({
    needsHistory: (roomId) => {
      const s = get();
      return (s.timelines[roomId]?.shells.length ?? 0) === 0 && (s.rooms[roomId]?.canPaginate ?? false);
    },
    loadOlder: (roomId, limit) => get().loadOlder(roomId, limit),
  });

  const listener: ClientListener = {
    onConnection: (state) => get().setConnection(state),
    onRoom: (meta) => get().receiveRoom(meta),
    onRoomRemoved: (roomId) => get().removeRoom(roomId),
    onEvents: (roomId, events, direction) => get().receiveEvents(roomId, events, direction),
    onTimelineReset: (roomId) => get().resetTimeline(roomId),
    onTyping: (roomId, userIds) => get().setTyping(roomId, userIds),
    onSessionEnded: () => onSessionEnded?.(),
  };

  return {
    ...initial,

    async start(session) {
      client?.stop();
      set({ ...initial, myUserId: session.userId, connection: 'connecting' });
      client = new ChatClient(session, config.botUserId, { watchNetwork: watchDeviceNetwork });
      await client.start(listener);
    },

    stop() {
      client?.stop();
      client = undefined;
      set({ ...initial });
    },

    async signOut() {
      const current = client;
      client = undefined;
      set({ ...initial });
      await current?.logout();
    },

    async createChat() {
      return requireClient().createChat();
    },

    async renameChat(roomId, name) {
      await requireClient().renameChat(roomId, name);
    },

    async leaveChat(roomId) {
      await requireClient().leaveChat(roomId);
    },

    async deleteChat(roomId) {
      await requireClient().deleteChat(roomId);
    },

    send(roomId, text) {
      const body = text.trim();
      if (!body) return;
      const c = requireClient();
      const room = get().rooms[roomId];
      const isFirst = (get().timelines[roomId]?.shells.length ?? 0) === 0;
      c.sendText(roomId, body);
      if (room && !room.name && isFirst) c.renameChat(roomId, titleFrom(body)).catch(() => undefined);
    },

    retry(roomId, txnId) {
      requireClient().retry(roomId, txnId);
    },

    stopReply(roomId) {
      requireClient().sendCommand(roomId, COMMANDS.stop);
    },

    regenerate(roomId) {
      requireClient().sendCommand(roomId, COMMANDS.retry);
    },

    async loadOlder(roomId, limit) {
      const c = client;
      if (!c || get().loadingOlder[roomId]) return;
      set((s) => ({ loadingOlder: { ...s.loadingOlder, [roomId]: true } }));
      try {
        await c.loadOlder(roomId, limit);
      } finally {
        set((s) => ({ loadingOlder: { ...s.loadingOlder, [roomId]: false } }));
      }
    },

    markRead(roomId) {
      client?.markRead(roomId).catch(() => undefined);
    },

    notifyTyping(roomId, typing) {
      client?.setTyping(roomId, typing);
    },

    reconnectNow() {
      client?.reconnectNow();
    },

    async refresh() {
      const c = client;
      if (!c) return;
      await c.refresh();
      await Promise.all(Object.keys(get().rooms).map((roomId) => backfill.request(roomId)));
    },

    receiveEvents(roomId, events, direction) {
      const state = get();
      const before = state.timelines[roomId] ?? emptyTimeline();
      const after = applyEvents(before, events, { myUserId: state.myUserId, direction });
      if (after === before && state.timelines[roomId]) return;
      set({ timelines: { ...state.timelines, [roomId]: after } });
      if (after.shells[0] !== before.shells[0]) scheduleOrder();
      if (after.shells.length === 0) void backfill.request(roomId);
    },

    resetTimeline(roomId) {
      const state = get();
      if (!state.timelines[roomId]) return;
      set({ timelines: { ...state.timelines, [roomId]: emptyTimeline() } });
      scheduleOrder();
    },

    receiveRoom(meta) {
      const state = get();
      if (sameMeta(state.rooms[meta.roomId], meta)) return;
      const isNew = !state.rooms[meta.roomId];
      set({ rooms: { ...state.rooms, [meta.roomId]: meta } });
      if (isNew) scheduleOrder();
    },

    removeRoom(roomId) {
      const state = get();
      if (!state.rooms[roomId]) return;
      const { [roomId]: _meta, ...rooms } = state.rooms;
      const { [roomId]: _timeline, ...timelines } = state.timelines;
      set({ rooms, timelines, roomOrder: state.roomOrder.filter((id) => id !== roomId) });
    },

    setConnection(connection) {
      if (get().connection === connection) return;
      set(connection === 'online' ? { connection, ready: true } : { connection });
    },

    setTyping(roomId, userIds) {
      const current = get().typing[roomId] ?? [];
      if (sameArray(current, userIds)) return;
      set((s) => ({ typing: { ...s.typing, [roomId]: userIds } }));
    },
  };
});

export type { RoomMeta };
