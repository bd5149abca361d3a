// Rename, leave or delete a conversation: a small sheet that works the same on phones and the web
// (Alert.prompt and multi-button alerts do not exist on every platform).
import { useEffect, useState } from 'react';
import { Modal, Pressable, StyleSheet, Text } from 'react-native';
import { friendlyError } from '../lib/matrix/errors';
import { useChatStore } from '../lib/store/chat';
import { DEFAULT_ROOM_NAME } from '../lib/store/selectors';
import { useTheme } from '../lib/theme/useTheme';
import { Button } from './Button';
import { TextField } from './TextField';

export interface ConversationActionsProps {
  roomId: string | undefined;
  onClose(): void;
  /** Called after the conversation is gone (left or deleted). */
  onGone?(roomId: string): void;
}

export function ConversationActions({ roomId, onClose, onGone }: ConversationActionsProps) {
  const { colors } = useTheme();
  const currentName = useChatStore((s) => (roomId ? s.rooms[roomId]?.name : undefined)) ?? '';
  const renameChat = useChatStore((s) => s.renameChat);
  const leaveChat = useChatStore((s) => s.leaveChat);
  const deleteChat = useChatStore((s) => s.deleteChat);
  const [name, setName] = useState(currentName);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  // biome-ignore lint/correctness/useExhaustiveDependencies: the form starts afresh for each conversation
  useEffect(() => {
    setName(currentName);
    setConfirmDelete(false);
    setError(undefined);
  }, [roomId, currentName]);

  if (!roomId) return null;

  const run = async (action: () => Promise<void>, gone: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      if (gone) onGone?.(roomId);
      onClose();
    } catch (e) {
      setError(friendlyError(e, 'chat').message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal transparent animationType="fade" visible onRequestClose={onClose}>
      <Pressable
        style={styles.backdrop}
        onPress={onClose}
        accessibilityLabel="Close options"
        accessibilityRole="button"
      >
        <Pressable
          style={[styles.sheet, { backgroundColor: colors.surface }]}
          onPress={() => undefined}
          accessible={false}
        >
          <Text style={[styles.title, { color: colors.text }]} accessibilityRole="header" numberOfLines={1}>
            {currentName || DEFAULT_ROOM_NAME}
          </Text>
          <TextField
            label="Name"
            value={name}
            onChangeText={setName}
            placeholder={DEFAULT_ROOM_NAME}
            testID="rename-input"
          />
          <Button
            label="Rename"
            accessibilityLabel="Save the new name"
            disabled={!name.trim() || name.trim() === currentName}
            busy={busy}
            onPress={() => run(() => renameChat(roomId, name), false)}
          />
          <Button
            label="Leave conversation"
            variant="secondary"
            disabled={busy}
            onPress={() => run(() => leaveChat(roomId), true)}
          />
          {confirmDelete ? (
            <>
              <Text style={[styles.warning, { color: colors.danger }]}>
                Delete this conversation for good? You will not be able to open it again.
              </Text>
              <Button
                label="Yes, delete it"
                variant="danger"
                busy={busy}
                onPress={() => run(() => deleteChat(roomId), true)}
              />
            </>
          ) : (
            <Button
              label="Delete conversation"
              variant="danger"
              disabled={busy}
              onPress={() => setConfirmDelete(true)}
            />
          )}
          {error ? (
            <Text accessibilityRole="alert" style={{ color: colors.danger }}>
              {error}
            </Text>
          ) : null}
          <Button label="Cancel" variant="secondary" onPress={onClose} />
        </Pressable>
      </Pressable>
    </Modal>
  );
}

const styles = StyleSheet.create({
  backdrop: { flex: 1, backgroundColor: 'rgba(0,0,0,0.45)', justifyContent: 'center', padding: 20 },
  sheet: { width: '100%', maxWidth: 420, alignSelf: 'center', borderRadius: 18, padding: 20, gap: 12 },
  title: { fontSize: 18, fontWeight: '700' },
  warning: { fontSize: 14 },
});
