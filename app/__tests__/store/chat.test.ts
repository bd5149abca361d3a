import { act, waitFor } from '@testing-library/react-native';
import type { TimelineEvent } from '../../lib/matrix/types';
import { BACKFILL } from '../../lib/store/backfill';
import { useChatStore } from '../../lib/store/chat';
import { searchRooms, selectReplyControls } from '../../lib/store/selectors';
import { lastMessage } from '../../lib/timeline/reducer';
import { BOT, botReply, edit, ME, message, plain, ROOM } from '../support/events';
import { FakeChatClient } from '../support/fake-client';

jest.mock('../../lib/matrix/client', () =>
  jest.requireActual('../support/module-mocks').fakeChatClientModule(),
);

const session = { homeserverUrl: 'http://hs', userId: ME, accessToken: 't', deviceId: 'D' };
const meta = (roomId: string, name = '', createdTs = 1, canPaginate = false) => ({
  roomId,
  name,
  createdTs,
  canPaginate,
});
const flush = () => act(async () => {});

beforeEach(async () => {
  await useChatStore.getState().start(session);
});

afterEach(() => useChatStore.getState().stop());

describe('chat store', () => {
  it('starts the client with the session and hands it the listener', () => {
    expect(FakeChatClient.last?.methods()).toEqual(['start']);
    expect(useChatStore.getState()).toMatchObject({ myUserId: ME, connection: 'connecting' });
  });

  it('orders rooms by newest activity and keeps the same array when nothing moved', async () => {
    const s = useChatStore.getState();
    s.receiveRoom(meta('!a', 'A', 10));
    s.receiveRoom(meta('!b', 'B', 20));
    await flush();
    expect(useChatStore.getState().roomOrder).toEqual(['!b', '!a']);
    const before = useChatStore.getState().roomOrder;
    useChatStore.getState().receiveEvents('!a', plain(message(ME, 'now in a')), 'forward');
    await flush();
    expect(useChatStore.getState().roomOrder).toEqual(['!a', '!b']);
    expect(useChatStore.getState().roomOrder).not.toBe(before);
    const moved = useChatStore.getState().roomOrder;
    useChatStore.getState().receiveRoom(meta('!b', 'B renamed', 20));
    await flush();
    expect(useChatStore.getState().roomOrder).toBe(moved);
  });

  it('applies an edit to one room without touching the other rooms or the order', async () => {
    const s = useChatStore.getState();
    s.receiveRoom(meta(ROOM));
    s.receiveRoom(meta('!other'));
    const reply = botReply('Hi', 'streaming');
    s.receiveEvents(ROOM, plain(reply), 'forward');
    s.receiveEvents('!other', plain(message(ME, 'elsewhere')), 'forward');
    await flush();
    const before = useChatStore.getState();
    useChatStore
      .getState()
      .receiveEvents(ROOM, plain(edit(reply.getId()!, 'Hi there', 'streaming')), 'forward');
    await flush();
    const after = useChatStore.getState();
    expect(after.timelines['!other']).toBe(before.timelines['!other']);
    expect(after.timelines[ROOM]!.shells).toBe(before.timelines[ROOM]!.shells);
    expect(after.roomOrder).toBe(before.roomOrder);
    expect(after.rooms).toBe(before.rooms);
  });

  it('sends text through the client and names a new conversation after its first message', () => {
    const s = useChatStore.getState();
    s.receiveRoom(meta(ROOM));
    s.send(ROOM, '  What is the weather like on Mars in the summer, roughly?  ');
    const client = FakeChatClient.last!;
    expect(client.calls).toContainEqual({
      method: 'sendText',
      args: [ROOM, 'What is the weather like on Mars in the summer, roughly?'],
    });
    expect(client.calls.find((c) => c.method === 'renameChat')?.args[1]).toBe(
      'What is the weather like on Mars in the…',
    );
    s.send(ROOM, '   ');
    expect(client.methods().filter((m) => m === 'sendText')).toHaveLength(1);
  });

  it('stops and regenerates replies with the gateway commands, and offers the right control', async () => {
    const s = useChatStore.getState();
    s.receiveRoom(meta(ROOM));
    expect(selectReplyControls(ROOM)(useChatStore.getState())).toBe('none');
    const reply = botReply('Thinking', 'streaming');
    s.receiveEvents(ROOM, plain(message(ME, 'q'), reply), 'forward');
    expect(selectReplyControls(ROOM)(useChatStore.getState())).toBe('stop');
    s.stopReply(ROOM);
    useChatStore
      .getState()
      .receiveEvents(ROOM, plain(edit(reply.getId()!, 'Thinking', 'stopped')), 'forward');
    expect(selectReplyControls(ROOM)(useChatStore.getState())).toBe('regenerate');
    s.regenerate(ROOM);
    const commands = FakeChatClient.last!.calls.filter((c) => c.method === 'sendCommand').map(
      (c) => c.args[1],
    );
    expect(commands).toEqual(['!stop', '!retry']);
  });

  it('searches conversations by name and by text', () => {
    const s = useChatStore.getState();
    s.receiveRoom(meta('!a', 'Holiday plans'));
    s.receiveRoom(meta('!b', 'Recipes'));
    s.receiveEvents('!b', plain(message(BOT, 'Add the saffron last')), 'forward');
    return flush().then(() => {
      const state = useChatStore.getState();
      expect(searchRooms(state, 'holiday')).toEqual(['!a']);
      expect(searchRooms(state, 'SAFFRON')).toEqual(['!b']);
      expect(searchRooms(state, '')).toBe(state.roomOrder);
    });
  });

  it('removes a room that was left or deleted', async () => {
    const s = useChatStore.getState();
    s.receiveRoom(meta('!a'));
    s.receiveRoom(meta('!b'));
    await flush();
    await s.deleteChat('!a');
    await s.leaveChat('!b');
    expect(useChatStore.getState().roomOrder).toEqual([]);
    expect(useChatStore.getState().rooms).toEqual({});
  });

  /** The fake client hands out these pages of older history, newest first, as the SDK would. */
  function olderHistory(pages: TimelineEvent[][]): number[] {
    const fake = FakeChatClient.last!;
    const limits: number[] = [];
    fake.loadOlder = async (roomId, limit) => {
      limits.push(limit ?? 0);
      const page = pages.shift();
      if (page) fake.listener!.onEvents(roomId, page, 'backward');
      fake.listener!.onRoom(meta(roomId, '', 1, pages.length > 0));
      return pages.length > 0;
    };
    return limits;
  }

  it('pages back in a room whose loaded events are all edits, until its message shows', async () => {
    const reply = botReply('Once', 'streaming');
    const limits = olderHistory([
      plain(edit(reply.getId()!, 'Once upon', 'streaming')),
      plain(reply, message(ME, 'Tell me a story')),
    ]);
    const s = useChatStore.getState();
    s.receiveRoom(meta(ROOM, '', 1, true));
    s.receiveEvents(ROOM, plain(edit(reply.getId()!, 'Once upon a time', 'done')), 'forward');
    await waitFor(() =>
      expect(lastMessage(useChatStore.getState().timelines[ROOM])?.body).toBe('Once upon a time'),
    );
    expect(limits).toEqual([BACKFILL.pageSize, BACKFILL.pageSize]);
    expect(useChatStore.getState().timelines[ROOM]!.shells).toHaveLength(2);
  });

  it('stops paging back after a bounded number of pages', async () => {
    const limits = olderHistory(Array.from({ length: 50 }, () => plain(edit('$gone', 'x', 'done'))));
    const s = useChatStore.getState();
    s.receiveRoom(meta(ROOM, '', 1, true));
    s.receiveEvents(ROOM, plain(edit('$gone', 'y', 'done')), 'forward');
    await waitFor(() => expect(useChatStore.getState().loadingOlder[ROOM]).toBe(false));
    await flush();
    expect(limits).toHaveLength(BACKFILL.pages);
  });

  it('starts a room afresh when its timeline is reset (a gap in the sync)', async () => {
    const s = useChatStore.getState();
    s.receiveRoom(meta(ROOM));
    s.receiveEvents(ROOM, plain(message(ME, 'before the gap')), 'forward');
    s.resetTimeline(ROOM);
    s.receiveEvents(ROOM, plain(message(BOT, 'after the gap')), 'forward');
    const t = useChatStore.getState().timelines[ROOM]!;
    expect(t.shells.map((shell) => t.messages[shell._id]!.body)).toEqual(['after the gap']);
  });

  it('follows the connection and is ready after the first sync', () => {
    const s = useChatStore.getState();
    expect(s.ready).toBe(false);
    s.setConnection('online');
    expect(useChatStore.getState().ready).toBe(true);
    s.setConnection('offline');
    expect(useChatStore.getState()).toMatchObject({ connection: 'offline', ready: true });
  });

  it('keeps the typing array when nothing changed', () => {
    const s = useChatStore.getState();
    s.setTyping(ROOM, [BOT]);
    const typing = useChatStore.getState().typing;
    s.setTyping(ROOM, [BOT]);
    expect(useChatStore.getState().typing).toBe(typing);
  });

  it('signs out through the client and forgets everything', async () => {
    useChatStore.getState().receiveRoom(meta(ROOM));
    const client = FakeChatClient.last!;
    await useChatStore.getState().signOut();
    expect(client.methods()).toContain('logout');
    expect(useChatStore.getState().rooms).toEqual({});
  });
});
