import { act, fireEvent, screen, waitFor } from '@testing-library/react-native';
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

async function openList() {
  renderApp('/');
  await waitFor(() => expect(FakeChatClient.last?.listener).toBeDefined());
}

describe('conversations screen', () => {
  it('greets a new user with an empty state that starts a chat', async () => {
    await openList();
    await seed([]);
    expect(await screen.findByText('No conversations yet')).toBeTruthy();
    fireEvent.press(screen.getByRole('button', { name: 'Start a new chat' }));
    await waitFor(() => expect(FakeChatClient.last!.methods()).toContain('createChat'));
  });

  it('lists conversations newest first with name, preview, time and unread count', async () => {
    await openList();
    await seed([room('!old', 'Old chat', 1000), room('!new', 'Recipes', 2000)], {
      '!new': plain(
        message(ME, 'How long do I bake it?'),
        message(BOT, 'About **25 minutes**.'),
        message(BOT, 'At 200°C.'),
      ),
    });
    const rows = await screen.findAllByRole('button', { name: /^(Recipes|Old chat)\./ });
    expect(rows.map((r) => r.props.accessibilityLabel.split('.')[0])).toEqual(['Recipes', 'Old chat']);
    expect(screen.getByText('At 200°C.')).toBeTruthy();
    expect(screen.getByText('2')).toBeTruthy();
    expect(screen.getByText('No messages yet')).toBeTruthy();
  });

  it('searches by name or by text', async () => {
    await openList();
    await seed([room('!a', 'Holiday plans', 1), room('!b', 'Recipes', 2)], {
      '!b': plain(message(BOT, 'Add the saffron last')),
    });
    fireEvent.changeText(await screen.findByLabelText('Search conversations'), 'saffron');
    await waitFor(() => expect(screen.queryByText('Holiday plans')).toBeNull());
    expect(screen.getByText('Recipes')).toBeTruthy();
    fireEvent.changeText(screen.getByLabelText('Search conversations'), 'nothing like this');
    expect(await screen.findByText('Nothing found')).toBeTruthy();
  });

  it('renames, leaves and deletes a conversation from its options', async () => {
    await openList();
    await seed([room('!a', 'Holiday plans', 1), room('!b', 'Recipes', 2)]);
    fireEvent.press(await screen.findByRole('button', { name: 'Options for Recipes' }));
    fireEvent.changeText(screen.getByLabelText('Name'), 'Cooking');
    fireEvent.press(screen.getByText('Rename'));
    await waitFor(() =>
      expect(FakeChatClient.last!.calls).toContainEqual({ method: 'renameChat', args: ['!b', 'Cooking'] }),
    );

    fireEvent.press(await screen.findByRole('button', { name: 'Options for Recipes' }));
    fireEvent.press(screen.getByText('Delete conversation'));
    fireEvent.press(screen.getByText('Yes, delete it'));
    await waitFor(() => expect(screen.queryByText('Recipes')).toBeNull());

    fireEvent.press(await screen.findByRole('button', { name: 'Options for Holiday plans' }));
    fireEvent.press(screen.getByText('Leave conversation'));
    expect(await screen.findByText('No conversations yet')).toBeTruthy();
    expect(FakeChatClient.last!.methods()).toEqual(expect.arrayContaining(['deleteChat', 'leaveChat']));
  });

  it('says in plain words why a new chat, a rename or a leave did not work', async () => {
    await openList();
    await seed([room('!a', 'Holiday plans', 1)]);
    const fake = FakeChatClient.last!;
    const unreachable = async () => {
      throw new TypeError('Failed to fetch');
    };
    fake.createChat = unreachable;
    fake.renameChat = unreachable;
    fake.leaveChat = async () => {
      throw { errcode: 'M_FORBIDDEN', httpStatus: 403, message: 'MatrixError: [403] You are not in room' };
    };
    const offline = "Can't reach the homeserver. Check your connection and try again.";

    fireEvent.press(await screen.findByTestId('new-chat'));
    expect(await screen.findByText(offline)).toBeTruthy();
    expect(screen.queryByText(/Failed to fetch/)).toBeNull();

    fireEvent.press(screen.getByRole('button', { name: 'Options for Holiday plans' }));
    fireEvent.changeText(screen.getByLabelText('Name'), 'Trips');
    fireEvent.press(screen.getByText('Rename'));
    await waitFor(() => expect(screen.getAllByText(offline)).toHaveLength(2));
    fireEvent.press(screen.getByText('Leave conversation'));
    expect(await screen.findByText('This homeserver does not allow that.')).toBeTruthy();
    expect(screen.queryByText(/MatrixError/)).toBeNull();
  });

  it('pulls to refresh through the client, with the spinner until it is done', async () => {
    await openList();
    await seed([room('!a', 'Holiday plans', 1)]);
    const fake = FakeChatClient.last!;
    let finish = () => {};
    fake.refresh = () => {
      fake.calls.push({ method: 'refresh', args: [] });
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    };
    await screen.findByTestId('conversation-list');
    // The list's pull-to-refresh control, as the scroll view holds it.
    const control = () => screen.getByTestId('conversation-list').props.refreshControl;
    await act(async () => {
      control().props.onRefresh();
    });
    expect(fake.methods()).toContain('refresh');
    expect(control().props.refreshing).toBe(true);
    await act(async () => finish());
    expect(control().props.refreshing).toBe(false);
  });

  it('shows a banner while the connection is lost', async () => {
    await openList();
    await seed([room('!a', 'Holiday plans', 1)]);
    expect(screen.queryByTestId('connection-banner')).toBeNull();
    await act(async () => useChatStore.getState().setConnection('offline'));
    expect(await screen.findByText(/No connection to the server/)).toBeTruthy();
    await act(async () => useChatStore.getState().setConnection('reconnecting'));
    expect(await screen.findByText('Reconnecting…')).toBeTruthy();
    await act(async () => useChatStore.getState().setConnection('online'));
    expect(screen.queryByTestId('connection-banner')).toBeNull();
  });
});
