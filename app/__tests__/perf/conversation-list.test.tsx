// Speed shown by counting renders (never by timing): the conversation list with 1,000 conversations
// is virtualized, and its rows are memoized.
import { act, screen, waitFor } from '@testing-library/react-native';
import { installRenderCounts, removeRenderCounts } from '../../lib/perf/renderCounts';
import { useChatStore } from '../../lib/store/chat';
import { BOT, ME, message, plain } from '../support/events';
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

describe('render counts', () => {
  it('the list of 1,000 conversations renders a window of memoized rows, and activity re-renders one row', async () => {
    const rooms = Array.from({ length: 1000 }, (_, i) => room(`!r${i}`, `Conversation ${i}`, 1_000 + i));
    renderApp('/');
    await waitFor(() => expect(FakeChatClient.last?.listener).toBeDefined());
    const counts = installRenderCounts();
    await seed(rooms);
    // Newest first: the last created is on top.
    expect(await screen.findByText('Conversation 999')).toBeTruthy();
    expect(useChatStore.getState().roomOrder).toHaveLength(1000);

    // Virtualized: only a window of rows was rendered, not a thousand.
    expect(counts.ConversationRow).toBeGreaterThan(0);
    expect(counts.ConversationRow).toBeLessThan(60);
    expect(screen.queryByText('Conversation 0')).toBeNull();

    // A new message in the top conversation re-renders its row only.
    const listRenders = counts.ConversationList ?? 0;
    const rowRenders = counts.ConversationRow!;
    await act(async () => {
      useChatStore.getState().receiveEvents('!r999', plain(message(BOT, 'Fresh news')), 'forward');
    });
    expect(await screen.findByText('Fresh news')).toBeTruthy();
    expect(counts.ConversationRow! - rowRenders).toBe(1);
    expect(counts.ConversationList ?? 0).toBe(listRenders);
    void ME;
  });
});
