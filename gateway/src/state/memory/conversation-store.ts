// In-process conversation store, bounded: least recently used rooms are forgotten (their history
// then reads as unknown and is rebuilt from the room), reply and transaction records expire.
import type { ChatMessage } from '../../llm/types.ts';
import { REPLY_TTL_SECONDS, TRANSACTION_TTL_SECONDS } from '../options.ts';
import type { ConversationStore, ReplyProgress, RoomSettings } from '../types.ts';
import { TtlLru } from './ttl-lru.ts';

export interface MemoryConversationStoreOptions {
  maxRooms: number;
  historyTtlSeconds?: number;
}

export class MemoryConversationStore implements ConversationStore {
  private readonly history: TtlLru<ChatMessage[]>;
  private readonly settings: TtlLru<RoomSettings>;
  private readonly replies: TtlLru<ReplyProgress>;
  private readonly transactions: TtlLru<true>;

  constructor(options: MemoryConversationStoreOptions) {
    this.history = new TtlLru(options.maxRooms, (options.historyTtlSeconds ?? 0) * 1000);
    this.settings = new TtlLru(options.maxRooms * 2);
    this.replies = new TtlLru(options.maxRooms * 4, REPLY_TTL_SECONDS * 1000);
    this.transactions = new TtlLru(options.maxRooms * 4, TRANSACTION_TTL_SECONDS * 1000);
  }

  // Copies in and out, so that callers see the same value semantics as with Redis.
  async getHistory(roomId: string): Promise<ChatMessage[] | null> {
    const messages = this.history.get(roomId);
    return messages ? structuredClone(messages) : null;
  }

  async setHistory(roomId: string, messages: ChatMessage[]): Promise<void> {
    this.history.set(roomId, structuredClone(messages));
  }

  async clearHistory(roomId: string): Promise<void> {
    this.history.set(roomId, []);
  }

  async getSettings(roomId: string): Promise<RoomSettings> {
    return structuredClone(this.settings.get(roomId) ?? {});
  }

  async setSettings(roomId: string, settings: RoomSettings): Promise<void> {
    this.settings.set(roomId, structuredClone(settings));
  }

  async getReply(sourceEventId: string): Promise<ReplyProgress | null> {
    const progress = this.replies.get(sourceEventId);
    return progress ? structuredClone(progress) : null;
  }

  async setReply(sourceEventId: string, progress: ReplyProgress): Promise<void> {
    this.replies.set(sourceEventId, structuredClone(progress));
  }

  async markTransaction(txnId: string): Promise<boolean> {
    if (this.transactions.has(txnId)) return false;
    this.transactions.set(txnId, true);
    return true;
  }
}
