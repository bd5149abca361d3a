// Conversations: the rooms shared with the bot, newest activity first; search, pull to refresh,
// a new chat, and each conversation's options.
import { Stack, useRouter } from 'expo-router';
import { useCallback, useMemo, useState } from 'react';
import { ActivityIndicator, Pressable, StyleSheet, Text, TextInput, View } from 'react-native';
import { ConnectionBanner } from '../../components/ConnectionBanner';
import { ConversationActions } from '../../components/ConversationActions';
import { ConversationList } from '../../components/ConversationList';
import { EmptyState } from '../../components/EmptyState';
import { friendlyError } from '../../lib/matrix/errors';
import { useAuthStore } from '../../lib/store/auth';
import { useChatStore } from '../../lib/store/chat';
import { searchRooms } from '../../lib/store/selectors';
import { useTheme } from '../../lib/theme/useTheme';

function useSearchResults(query: string): string[] {
  const roomOrder = useChatStore((s) => s.roomOrder);
  // Only a search needs the rooms' contents; without one the list is the store's own array.
  const rooms = useChatStore((s) => (query ? s.rooms : undefined));
  const timelines = useChatStore((s) => (query ? s.timelines : undefined));
  return useMemo(
    () =>
      query
        ? searchRooms({ ...useChatStore.getState(), roomOrder, rooms: rooms!, timelines: timelines! }, query)
        : roomOrder,
    [query, roomOrder, rooms, timelines],
  );
}

export default function ConversationsScreen() {
  const router = useRouter();
  const { colors } = useTheme();
  const ready = useChatStore((s) => s.ready);
  const createChat = useChatStore((s) => s.createChat);
  const refreshChats = useChatStore((s) => s.refresh);
  const signOut = useAuthStore((s) => s.signOut);
  const [query, setQuery] = useState('');
  const [optionsFor, setOptionsFor] = useState<string>();
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<string>();
  const [refreshing, setRefreshing] = useState(false);
  const roomIds = useSearchResults(query);
  const total = useChatStore((s) => s.roomOrder.length);

  const open = useCallback(
    (roomId: string) => router.push({ pathname: '/[roomId]', params: { roomId } }),
    [router],
  );

  const newChat = useCallback(async () => {
    setCreating(true);
    setError(undefined);
    try {
      const roomId = await createChat();
      open(roomId);
    } catch (e) {
      setError(friendlyError(e, 'chat').message);
    } finally {
      setCreating(false);
    }
  }, [createChat, open]);

  const refresh = useCallback(async () => {
    setRefreshing(true);
    try {
      await refreshChats();
    } catch {
      // Nothing to add: the connection banner says when the homeserver is out of reach.
    } finally {
      setRefreshing(false);
    }
  }, [refreshChats]);

  return (
    <View style={[styles.root, { backgroundColor: colors.background }]}>
      <Stack.Screen
        options={{
          title: 'Chats',
          headerLeft: () => (
            <Pressable
              accessibilityRole="button"
              accessibilityLabel="Sign out"
              onPress={() => void signOut()}
              style={styles.headerButton}
              testID="sign-out"
            >
              <Text style={{ color: colors.textMuted, fontWeight: '600' }}>Sign out</Text>
            </Pressable>
          ),
          headerRight: () => (
            <Pressable
              accessibilityRole="button"
              accessibilityLabel="New chat"
              onPress={() => void newChat()}
              disabled={creating}
              style={[styles.newChat, { backgroundColor: colors.accent }]}
              testID="new-chat"
            >
              {creating ? (
                <ActivityIndicator color={colors.accentText} size="small" />
              ) : (
                <Text style={{ color: colors.accentText, fontWeight: '700' }}>+ New chat</Text>
              )}
            </Pressable>
          ),
        }}
      />
      <ConnectionBanner />
      <View style={styles.content}>
        {total > 0 ? (
          <TextInput
            accessibilityLabel="Search conversations"
            placeholder="Search by name or text"
            placeholderTextColor={colors.textMuted}
            value={query}
            onChangeText={setQuery}
            autoCapitalize="none"
            autoCorrect={false}
            clearButtonMode="while-editing"
            style={[styles.search, { backgroundColor: colors.surfaceAlt, color: colors.text }]}
            testID="search-input"
          />
        ) : null}
        {error ? (
          <Text accessibilityRole="alert" style={[styles.error, { color: colors.danger }]}>
            {error}
          </Text>
        ) : null}
        {!ready && total === 0 ? (
          <View style={styles.center}>
            <ActivityIndicator
              color={colors.accent}
              size="large"
              accessibilityLabel="Loading conversations"
            />
          </View>
        ) : total === 0 ? (
          <EmptyState
            title="No conversations yet"
            message="Start a chat and say hello. Your AI friend is ready when you are."
            actionLabel="Start a new chat"
            onAction={() => void newChat()}
          />
        ) : roomIds.length === 0 ? (
          <EmptyState title="Nothing found" message={`No conversation matches “${query.trim()}”.`} />
        ) : (
          <ConversationList
            roomIds={roomIds}
            onOpen={open}
            onOptions={setOptionsFor}
            refreshing={refreshing}
            onRefresh={refresh}
          />
        )}
      </View>
      <ConversationActions roomId={optionsFor} onClose={() => setOptionsFor(undefined)} />
    </View>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1 },
  content: { flex: 1, width: '100%', maxWidth: 760, alignSelf: 'center' },
  center: { flex: 1, alignItems: 'center', justifyContent: 'center' },
  search: { margin: 12, marginBottom: 4, height: 42, borderRadius: 12, paddingHorizontal: 14, fontSize: 15 },
  error: { marginHorizontal: 16, marginTop: 8 },
  headerButton: { paddingHorizontal: 12, paddingVertical: 8 },
  newChat: {
    marginRight: 12,
    paddingHorizontal: 14,
    paddingVertical: 8,
    borderRadius: 18,
    minWidth: 44,
    alignItems: 'center',
  },
});
