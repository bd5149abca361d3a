import { act, fireEvent, screen, waitFor } from '@testing-library/react-native';
import * as Clipboard from 'expo-clipboard';
import { EventStatus } from 'matrix-js-sdk';
import { useChatStore } from '../../lib/store/chat';
import { BOT, botReply, edit, localEcho, ME, message, plain, ROOM } from '../support/events';
import { FakeChatClient } from '../support/fake-client';
import { renderApp } from '../support/render';
import { resetStores, room, seed } from '../support/signed-in';

jest.mock('../../lib/storage/session-storage', () =>
  jest.requireActual('../support/module-mocks').signedInSessionStorage(),
);
jest.mock('../../lib/matrix/client', () =>
  jest.requireActual('../support/module-mocks').fakeChatClientModule(),
);

beforeEach(resetStores);

async function openChat(events = plain()) {
  const app = renderApp(`/${encodeURIComponent(ROOM)}`);
  await waitFor(() => expect(FakeChatClient.last?.listener).toBeDefined());
  await seed([room(ROOM, 'Space talk')], { [ROOM]: events });
  await screen.findByTestId('chat-screen');
  // GiftedChat shows its list once it has been laid out (no layout happens under Jest by itself).
  fireEvent(screen.getByTestId('GC_WRAPPER'), 'layout', {
    nativeEvent: { layout: { x: 0, y: 0, width: 400, height: 800 } },
  });
  return app;
}

const sent = () =>
  FakeChatClient.last!.calls.filter((c) => c.method === 'sendText' || c.method === 'sendCommand');

describe('chat screen', () => {
  it('invites a first message in an empty conversation and sends what is typed', async () => {
    await openChat();
    expect(screen.getByText('Say hello!')).toBeTruthy();
    fireEvent.changeText(screen.getByLabelText('Message'), 'Hi there!');
    fireEvent.press(screen.getByLabelText('Send message'));
    expect(sent()).toEqual([{ method: 'sendText', args: [ROOM, 'Hi there!'] }]);
  });

  it('renders the bot Markdown, grows a streamed reply with a cursor, and ends it', async () => {
    const reply = botReply('Here is', 'streaming');
    await openChat(plain(message(ME, 'Tell me'), reply));
    expect(screen.getByText('Tell me')).toBeTruthy();
    expect(screen.getByTestId('stream-cursor', { includeHiddenElements: true })).toBeTruthy();
    expect(screen.getByLabelText('Stop the reply')).toBeTruthy();

    await act(async () =>
      useChatStore
        .getState()
        .receiveEvents(
          ROOM,
          plain(edit(reply.getId()!, 'Here is **bold** and `code`\n\n- one\n- two', 'streaming')),
          'forward',
        ),
    );
    expect(screen.getByText('bold')).toBeTruthy();
    expect(screen.getByText('code')).toBeTruthy();
    expect(screen.getByText(/^two/)).toBeTruthy();
    expect(screen.queryByText(/\*\*/)).toBeNull();

    await act(async () =>
      useChatStore
        .getState()
        .receiveEvents(
          ROOM,
          plain(edit(reply.getId()!, 'Here is **bold** and `code`\n\n- one\n- two\n- three', 'done')),
          'forward',
        ),
    );
    expect(screen.getByText('three')).toBeTruthy();
    expect(screen.queryByTestId('stream-cursor', { includeHiddenElements: true })).toBeNull();
    expect(screen.getByLabelText('Regenerate the last reply')).toBeTruthy();
  });

  it('marks the chat read when it opens, and again when the newest reply ends', async () => {
    const reply = botReply('Grow', 'streaming');
    await openChat(plain(message(ME, 'q'), reply));
    const reads = () => FakeChatClient.last!.methods().filter((m) => m === 'markRead').length;
    expect(reads()).toBe(1);
    await act(async () =>
      useChatStore
        .getState()
        .receiveEvents(ROOM, plain(edit(reply.getId()!, 'Growing', 'streaming')), 'forward'),
    );
    expect(reads()).toBe(1);
    await act(async () =>
      useChatStore.getState().receiveEvents(ROOM, plain(edit(reply.getId()!, 'Grown', 'done')), 'forward'),
    );
    expect(reads()).toBe(2);
  });

  it('stops a growing reply and regenerates a finished one with the gateway commands', async () => {
    const reply = botReply('Long answer', 'streaming');
    await openChat(plain(message(ME, 'q'), reply));
    fireEvent.press(screen.getByLabelText('Stop the reply'));
    await act(async () =>
      useChatStore
        .getState()
        .receiveEvents(ROOM, plain(edit(reply.getId()!, 'Long answer', 'stopped')), 'forward'),
    );
    expect(screen.getByTestId('bubble-stopped')).toBeTruthy();
    fireEvent.press(screen.getByLabelText('Regenerate the last reply'));
    expect(sent()).toEqual([
      { method: 'sendCommand', args: [ROOM, '!stop'] },
      { method: 'sendCommand', args: [ROOM, '!retry'] },
    ]);
  });

  it('shows a failed send with a retry, and copies a message', async () => {
    await openChat(plain(botReply('Copy me', 'done'), localEcho('did not go', 'txn9', EventStatus.NOT_SENT)));
    fireEvent.press(screen.getByLabelText('Not sent. Retry sending this message'));
    expect(FakeChatClient.last!.calls).toContainEqual({ method: 'retry', args: [ROOM, 'txn9'] });
    fireEvent.press(screen.getAllByLabelText('Copy message')[0]!);
    await waitFor(() => expect(Clipboard.setStringAsync).toHaveBeenCalled());
  });

  it('opened by a link, goes back to the conversations once the chat is left', async () => {
    const app = await openChat(plain(message(ME, 'q')));
    fireEvent.press(screen.getByLabelText('Conversation options'));
    fireEvent.press(screen.getByText('Leave conversation'));
    expect(await screen.findByText('No conversations yet')).toBeTruthy();
    expect(app.getPathname()).toBe('/');
  });

  it('tells the room we are typing while we write, and that we stopped once sent', async () => {
    await openChat(plain(message(ME, 'q')));
    const typing = () => FakeChatClient.last!.calls.filter((c) => c.method === 'setTyping');
    fireEvent.changeText(screen.getByLabelText('Message'), 'Wh');
    fireEvent.changeText(screen.getByLabelText('Message'), 'What');
    expect(typing()).toEqual([{ method: 'setTyping', args: [ROOM, true] }]);
    fireEvent.press(screen.getByLabelText('Send message'));
    expect(typing()).toEqual([
      { method: 'setTyping', args: [ROOM, true] },
      { method: 'setTyping', args: [ROOM, false] },
    ]);
    fireEvent.changeText(screen.getByLabelText('Message'), 'And');
    fireEvent(screen.getByLabelText('Message'), 'blur');
    expect(typing().map((c) => c.args[1])).toEqual([true, false, true, false]);
  });

  it("shows the bot's typing indicator", async () => {
    await openChat(plain(message(ME, 'q')));
    expect(screen.queryByLabelText('The assistant is typing')).toBeNull();
    await act(async () => useChatStore.getState().setTyping(ROOM, [BOT]));
    expect(await screen.findByLabelText('The assistant is typing')).toBeTruthy();
    await act(async () => useChatStore.getState().setTyping(ROOM, []));
    expect(screen.queryByLabelText('The assistant is typing')).toBeNull();
  });
});
