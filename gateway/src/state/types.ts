// Shared state of the gateway, behind interfaces with two implementations each:
// in-process (the embedded default, one process) and Redis (any number of processes).
// One test suite (test/state/*.suite.ts) runs against both.
import type { ChatMessage } from '../llm/types.ts';

/** A unit of work: one user message (or command) to answer in one room. */
export interface Job {
  /** Unique and stable: the Matrix event id of the source message. Enqueueing it twice is a no-op. */
  id: string;
  roomId: string;
  /** Matrix user id of the sender. */
  sender: string;
  kind: 'reply' | 'retry';
  /** The source event as received (content, relations, origin_server_ts...). */
  event: Record<string, unknown>;
  enqueuedAt: number;
  /** Intake could not tell whether the message is for the bot: the worker applies the rate limit once it knows. */
  rateLimitAtWorker?: true;
}

export interface LeasedJob {
  readonly job: Job;
  /** 1 on first delivery; higher when taken over after another consumer's lease expired. */
  readonly attempt: number;
  /** Extends the lease; false when the lease was lost (another consumer took the job over). */
  renew(): Promise<boolean>;
  /** The job is finished (answered or failed for good): removes it and frees its room. */
  complete(): Promise<void>;
  /** Hands the job back un-finished (graceful shutdown): another consumer takes it at once. */
  release(): Promise<void>;
}

/**
 * Durable work queue with per-room ordering: jobs of one room are handed out in enqueue order,
 * one at a time (a room's next job waits until the previous one is completed); rooms run in parallel.
 * A leased job whose lease is not renewed within `leaseMs` is handed to another consumer (takeover).
 */
export interface WorkQueue {
  /** Durably stores the job before resolving; false when a job with this id was seen before. */
  enqueue(job: Job): Promise<boolean>;
  /** Next job of a room with no job in progress, waiting up to `blockMs`; null when none came. */
  take(consumerId: string, blockMs: number): Promise<LeasedJob | null>;
  /** Jobs waiting or in progress. */
  depth(): Promise<number>;
  close(): Promise<void>;
}

export interface RoomSettings {
  model?: string;
  systemPrompt?: string;
}

/** Where a reply in progress stands, so that a process taking a job over continues the same message. */
export interface ReplyProgress {
  /** Event id of the bot's reply message once posted. */
  replyEventId?: string;
  /** Text shown so far. */
  text: string;
  state: 'streaming' | 'done' | 'error' | 'stopped';
  updatedAt: number;
}

export interface ConversationStore {
  /** The remembered history of a room; null when unknown (rebuild it from /messages). */
  getHistory(roomId: string): Promise<ChatMessage[] | null>;
  setHistory(roomId: string, messages: ChatMessage[]): Promise<void>;
  /** `!new`: forget the context (history becomes empty, not unknown). */
  clearHistory(roomId: string): Promise<void>;

  getSettings(roomId: string): Promise<RoomSettings>;
  setSettings(roomId: string, settings: RoomSettings): Promise<void>;

  getReply(sourceEventId: string): Promise<ReplyProgress | null>;
  setReply(sourceEventId: string, progress: ReplyProgress): Promise<void>;

  /** Records an application-service transaction id; false when it was already recorded. */
  markTransaction(txnId: string): Promise<boolean>;
}

/** Token bucket per key (user id): `capacity` tokens, refilled at `refillPerSecond`. */
export interface RateLimiter {
  take(key: string): Promise<{ allowed: boolean; retryAfterMs: number }>;
}

/** `!stop` reaches whichever process is generating the room's reply. */
export interface StopSignals {
  requestStop(roomId: string): Promise<void>;
  /** True (once) when a stop was requested for the room since `since` (epoch ms). */
  consumeStop(roomId: string, since: number): Promise<boolean>;
  /** `consumeStop` for many rooms at once (one round trip): the rooms whose stop was consumed. */
  consumeStops(queries: readonly { roomId: string; since: number }[]): Promise<string[]>;
}

/**
 * The edit budget is one for the whole deployment: each gateway process reports how many replies it
 * is streaming and learns what the other live processes report, to take its part of the budget.
 */
export interface EditBudgetShares {
  /**
   * Records this process's count, valid for `ttlMs` (a process that stops reporting stops counting),
   * and returns the totals of the other processes whose reports are still valid.
   */
  report(processId: string, streams: number, ttlMs: number): Promise<OtherProcesses>;
  /** The process leaves (shutdown): the others count without it at once. */
  leave(processId: string): Promise<void>;
}

export interface OtherProcesses {
  processes: number;
  streams: number;
}

/** One bundle, built from config: in-process when REDIS_URL is unset, Redis otherwise. */
export interface StateBackend {
  readonly kind: 'memory' | 'redis';
  queue: WorkQueue;
  store: ConversationStore;
  rateLimiter: RateLimiter;
  stops: StopSignals;
  editBudget: EditBudgetShares;
  close(): Promise<void>;
}
