// Conversation state in Redis: one JSON string per room / reply, transaction ids with SET NX.
import type { Redis } from 'ioredis';
import type { ChatMessage } from '../../llm/types.ts';
import { REPLY_TTL_SECONDS, TRANSACTION_TTL_SECONDS } from '../options.ts';
import type { ConversationStore, ReplyProgress, RoomSettings } from '../types.ts';

export interface RedisConversationStoreOptions {
  keyPrefix: string;
  historyTtlSeconds?: number;
}

export class RedisConversationStore implements ConversationStore {
  constructor(
    private readonly redis: Redis,
    private readonly options: RedisConversationStoreOptions,
  ) {}

  private key(kind: string, id: string): string {
    return `${this.options.keyPrefix}${kind}:${id}`;
  }

  async getHistory(roomId: string): Promise<ChatMessage[] | null> {
    const raw = await this.redis.get(this.key('history', roomId));
    return raw === null ? null : (JSON.parse(raw) as ChatMessage[]);
  }

  async setHistory(roomId: string, messages: ChatMessage[]): Promise<void> {
    const key = this.key('history', roomId);
    const ttl = this.options.historyTtlSeconds;
    if (ttl) await this.redis.set(key, JSON.stringify(messages), 'EX', ttl);
    else await this.redis.set(key, JSON.stringify(messages));
  }

  async clearHistory(roomId: string): Promise<void> {
    await this.setHistory(roomId, []);
  }

  async getSettings(roomId: string): Promise<RoomSettings> {
    const raw = await this.redis.get(this.key('settings', roomId));
    return raw === null ? {} : (JSON.parse(raw) as RoomSettings);
  }

  async setSettings(roomId: string, settings: RoomSettings): Promise<void> {
    await this.redis.set(this.key('settings', roomId), JSON.stringify(settings));
  }

  async getReply(sourceEventId: string): Promise<ReplyProgress | null> {
    const raw = await this.redis.get(this.key('reply', sourceEventId));
    return raw === null ? null : (JSON.parse(raw) as ReplyProgress);
  }

  async setReply(sourceEventId: string, progress: ReplyProgress): Promise<void> {
    await this.redis.set(this.key('reply', sourceEventId), JSON.stringify(progress), 'EX', REPLY_TTL_SECONDS);
  }

  async markTransaction(txnId: string): Promise<boolean> {
    const set = await this.redis.set(this.key('txn', txnId), '1', 'EX', TRANSACTION_TTL_SECONDS, 'NX');
    return set === 'OK';
  }
}
