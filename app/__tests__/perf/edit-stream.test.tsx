// Speed shown by counting renders (never by timing): an edit stream re-renders only the message it
// changes, not the message list or the chat screen.
import { act, fireEvent, screen, waitFor } from '@testing-library/react-native';
import { installRenderCounts, removeRenderCounts } from '../../lib/perf/renderCounts';
import { useChatStore } from '../../lib/store/chat';
import { BOT, botReply, edit, ME, message, plain, ROOM } from '../support/events';
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
afterEach(removeRenderCounts);

const EDITS = 40;

describe('render counts', () => {
  it('an edit stream re-renders only the message it changes, not the list or the chat', async () => {
    const history = [];
    for (let i = 0; i < 12; i += 1) history.push(message(i % 2 ? BOT : ME, `message ${i}`));
    const reply = botReply('The', 'streaming');
    renderApp(`/${encodeURIComponent(ROOM)}`);
    await waitFor(() => expect(FakeChatClient.last?.listener).toBeDefined());
    await seed([room(ROOM, 'Perf')], { [ROOM]: plain(...history, reply) });
    fireEvent(await screen.findByTestId('GC_WRAPPER'), 'layout', {
      nativeEvent: { layout: { x: 0, y: 0, width: 400, height: 800 } },
    });
    await screen.findByText(/^The/);
    const replyKey = useChatStore.getState().timelines[ROOM]!.shells[0]!._id;

    const counts = installRenderCounts();
    let text = 'The';
    for (let i = 0; i < EDITS; i += 1) {
      text += ` word${i}`;
      const state = i === EDITS - 1 ? 'done' : 'streaming';
      await act(async () => {
        useChatStore.getState().receiveEvents(ROOM, plain(edit(reply.getId()!, text, state)), 'forward');
      });
    }
    expect(screen.getByText(new RegExp(`word${EDITS - 1}$`))).toBeTruthy();

    expect(counts[`MessageRow:${replyKey}`]).toBe(EDITS);
    // Every MessageRow render was the streamed message's own.
    expect(counts.MessageRow).toBe(EDITS);
    expect(counts.ChatScreen ?? 0).toBe(0);
  });
});
