// A conversation: GiftedChat with our own bubbles (each subscribed to its message), history paged
// in as you scroll up, the bot's typing indicator, and the Stop / Regenerate controls.
import { Stack, useLocalSearchParams, useRouter } from 'expo-router';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  ActivityIndicator,
  type NativeSyntheticEvent,
  Platform,
  Pressable,
  StyleSheet,
  Text,
  type TextInputKeyPressEventData,
  View,
} from 'react-native';
import { GiftedChat, type IMessage, type MessageProps, Send, type SendProps } from 'react-native-gifted-chat';
import { ConnectionBanner } from '../../components/ConnectionBanner';
import { ConversationActions } from '../../components/ConversationActions';
import { EmptyState } from '../../components/EmptyState';
import { MessageRow } from '../../components/MessageRow';
import { ReadReceipt } from '../../components/ReadReceipt';
import { ReplyControls } from '../../components/ReplyControls';
import { TypingBubble } from '../../components/TypingBubble';
import { countRender } from '../../lib/perf/renderCounts';
import { useChatStore } from '../../lib/store/chat';
import { selectBotTyping, selectRoomName, selectShells } from '../../lib/store/selectors';
import { useTheme } from '../../lib/theme/useTheme';
import type { MessageShell } from '../../lib/timeline/types';
import { TypingNotifier } from '../../lib/typing';

const NO_SHELLS: MessageShell[] = [];

export default function ChatScreen() {
  countRender('ChatScreen');
  const params = useLocalSearchParams<{ roomId: string }>();
  const roomId = decodeURIComponent(String(params.roomId ?? ''));
  const router = useRouter();
  const { colors, scheme } = useTheme();
  const known = useChatStore((s) => s.rooms[roomId] !== undefined);
  const name = useChatStore(selectRoomName(roomId));
  const shells = useChatStore(selectShells(roomId)) ?? NO_SHELLS;
  const canPaginate = useChatStore((s) => s.rooms[roomId]?.canPaginate ?? false);
  const loadingOlder = useChatStore((s) => s.loadingOlder[roomId] ?? false);
  const botTyping = useChatStore(selectBotTyping(roomId));
  const myUserId = useChatStore((s) => s.myUserId);
  const send = useChatStore((s) => s.send);
  const loadOlder = useChatStore((s) => s.loadOlder);
  const notifyTyping = useChatStore((s) => s.notifyTyping);
  const [optionsOpen, setOptionsOpen] = useState(false);

  const [text, setText] = useState('');
  const textRef = useRef(text);
  textRef.current = text;

  const typing = useMemo(
    () => new TypingNotifier((isTyping) => notifyTyping(roomId, isTyping)),
    [roomId, notifyTyping],
  );
  useEffect(() => () => typing.stop(), [typing]);
  const onChangeText = useCallback(
    (value: string) => {
      setText(value);
      typing.changed(value);
    },
    [typing],
  );

  const onSend = useCallback(
    (messages: IMessage[]) => {
      for (const message of messages) send(roomId, message.text);
      setText('');
      typing.stop();
    },
    [roomId, send, typing],
  );

  // On a desktop browser, Enter sends and Shift+Enter starts a new line.
  const onKeyPress = useCallback(
    (event: NativeSyntheticEvent<TextInputKeyPressEventData & { shiftKey?: boolean }>) => {
      if (Platform.OS !== 'web' || event.nativeEvent.key !== 'Enter' || event.nativeEvent.shiftKey) return;
      event.preventDefault();
      if (textRef.current.trim()) {
        send(roomId, textRef.current);
        setText('');
        typing.stop();
      }
    },
    [roomId, send, typing],
  );

  const renderMessage = useCallback(
    (props: MessageProps<IMessage>) => (
      <MessageRow roomId={roomId} messageKey={String(props.currentMessage._id)} />
    ),
    [roomId],
  );
  const renderFooter = useCallback(() => <ReplyControls roomId={roomId} />, [roomId]);
  const renderTyping = useCallback(() => <TypingBubble visible={botTyping} />, [botTyping]);
  // While older history is paged in for a first message to show, a spinner rather than "Say hello!".
  const renderEmpty = useCallback(
    () => (
      <View style={[styles.emptyWrap, loadingOlder && styles.center]}>
        {loadingOlder ? (
          <ActivityIndicator color={colors.accent} accessibilityLabel="Loading earlier messages" />
        ) : (
          <EmptyState title="Say hello!" message="Ask anything: your AI friend answers right here." />
        )}
      </View>
    ),
    [loadingOlder, colors.accent],
  );

  const user = useMemo(() => ({ _id: myUserId }), [myUserId]);
  const loadEarlier = useMemo(
    () => ({
      isAvailable: canPaginate,
      isLoading: loadingOlder,
      isInfiniteScrollEnabled: true,
      onPress: () => void loadOlder(roomId),
      label: 'Load earlier messages',
    }),
    [canPaginate, loadingOlder, loadOlder, roomId],
  );
  const textInputProps = useMemo(
    () => ({
      accessibilityLabel: 'Message',
      testID: 'message-input',
      placeholder: 'Message your AI friend…',
      placeholderTextColor: colors.textMuted,
      onKeyPress,
      onChangeText,
      onBlur: () => typing.stop(),
    }),
    [colors.textMuted, onKeyPress, onChangeText, typing],
  );
  const renderSend = useCallback(
    (props: SendProps<IMessage>) => (
      <Send {...props} sendButtonProps={{ accessibilityLabel: 'Send message', testID: 'send-button' }} />
    ),
    [],
  );

  return (
    <View style={[styles.root, { backgroundColor: colors.background }]}>
      <Stack.Screen
        options={{
          title: name,
          headerRight: () =>
            known ? (
              <Pressable
                accessibilityRole="button"
                accessibilityLabel="Conversation options"
                onPress={() => setOptionsOpen(true)}
                style={styles.headerButton}
                testID="chat-options"
              >
                <Text style={[styles.headerButtonText, { color: colors.text }]}>⋯</Text>
              </Pressable>
            ) : null,
        }}
      />
      <ConnectionBanner />
      <ReadReceipt roomId={roomId} />
      {known ? (
        <View style={styles.chat} testID="chat-screen">
          <GiftedChat
            messages={shells as IMessage[]}
            user={user}
            onSend={onSend}
            text={text}
            renderSend={renderSend}
            renderMessage={renderMessage}
            renderChatFooter={renderFooter}
            renderChatEmpty={renderEmpty}
            isTyping={botTyping}
            renderTypingIndicator={renderTyping}
            loadEarlierMessagesProps={loadEarlier}
            colorScheme={scheme}
            textInputProps={textInputProps}
            isSendButtonAlwaysVisible
            isDayAnimationEnabled={false}
            renderAvatar={null}
          />
        </View>
      ) : (
        <View style={styles.center}>
          <ActivityIndicator
            color={colors.accent}
            size="large"
            accessibilityLabel="Opening the conversation"
          />
          <Text style={{ color: colors.textMuted }}>Opening the conversation…</Text>
        </View>
      )}
      <ConversationActions
        roomId={optionsOpen ? roomId : undefined}
        onClose={() => setOptionsOpen(false)}
        onGone={() => (router.canGoBack() ? router.back() : router.replace('/'))}
      />
    </View>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1 },
  chat: { flex: 1, width: '100%', maxWidth: 900, alignSelf: 'center' },
  center: { flex: 1, alignItems: 'center', justifyContent: 'center', gap: 12 },
  emptyWrap: { flex: 1, transform: [{ scaleY: -1 }] },
  headerButton: { paddingHorizontal: 14, paddingVertical: 6 },
  headerButtonText: { fontSize: 22, fontWeight: '700' },
});
