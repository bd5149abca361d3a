import { act } from '@testing-library/react-native';
import { useChatStore } from '../../lib/store/chat';
import { searchRooms, selectReplyControls } from '../../lib/store/selectors';
import { BOT, botReply, edit, ME, message, plain, ROOM } from '../support/events';
import { FakeChatClient } from '../support/fake-client';

jest.mock('../../lib/matrix/client', () =>
  jest.requireActual('../support/module-mocks').fakeChatClientModule(),
);

const session = { homeserverUrl: 'http://hs', userId: ME, accessToken: 't', deviceId: 'D' };
const meta = (roomId: string, name = '', createdTs = 1) => ({ roomId, name, createdTs, canPaginate: false });
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
