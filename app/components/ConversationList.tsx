// The conversation list: virtualized (fixed-height rows, a small render window) so that a thousand
// conversations scroll as smoothly as ten.
import { memo, useCallback } from 'react';
import { FlatList, type ListRenderItem, Platform, RefreshControl } from 'react-native';
import { countRender } from '../lib/perf/renderCounts';
import { useTheme } from '../lib/theme/useTheme';
import { ConversationRow, ROW_HEIGHT } from './ConversationRow';

export interface ConversationListProps {
  roomIds: string[];
  onOpen(roomId: string): void;
  onOptions(roomId: string): void;
  refreshing: boolean;
  onRefresh(): void;
}

const keyOf = (roomId: string) => roomId;
const layoutOf = (_: ArrayLike<string> | null | undefined, index: number) => ({
  length: ROW_HEIGHT,
  offset: ROW_HEIGHT * index,
  index,
});

function ConversationListView({ roomIds, onOpen, onOptions, refreshing, onRefresh }: ConversationListProps) {
  countRender('ConversationList');
  const { colors } = useTheme();
  const renderItem = useCallback<ListRenderItem<string>>(
    ({ item }) => <ConversationRow roomId={item} onOpen={onOpen} onOptions={onOptions} />,
    [onOpen, onOptions],
  );
  return (
    <FlatList
      testID="conversation-list"
      accessibilityLabel="Conversations"
      data={roomIds}
      keyExtractor={keyOf}
      renderItem={renderItem}
      getItemLayout={layoutOf}
      initialNumToRender={14}
      maxToRenderPerBatch={10}
      windowSize={7}
      removeClippedSubviews={Platform.OS !== 'web'}
      keyboardShouldPersistTaps="handled"
      refreshControl={
        <RefreshControl refreshing={refreshing} onRefresh={onRefresh} tintColor={colors.accent} />
      }
    />
  );
}

export const ConversationList = memo(ConversationListView);
