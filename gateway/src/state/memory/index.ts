import type { ResolvedStateOptions } from '../options.ts';
import type { StateBackend } from '../types.ts';
import { MemoryConversationStore } from './conversation-store.ts';
import { MemoryEditBudgetShares } from './edit-budget-shares.ts';
import { MemoryRateLimiter } from './rate-limiter.ts';
import { MemoryStopSignals } from './stop-signals.ts';
import { MemoryWorkQueue } from './work-queue.ts';

export {
  MemoryConversationStore,
  MemoryEditBudgetShares,
  MemoryRateLimiter,
  MemoryStopSignals,
  MemoryWorkQueue,
};

export function createMemoryBackend(options: ResolvedStateOptions): StateBackend {
  const queue = new MemoryWorkQueue({ leaseMs: options.leaseMs, dedupeTtlSeconds: options.dedupeTtlSeconds });
  return {
    kind: 'memory',
    queue,
    store: new MemoryConversationStore({
      maxRooms: options.maxRooms,
      ...(options.historyTtlSeconds ? { historyTtlSeconds: options.historyTtlSeconds } : {}),
    }),
    rateLimiter: new MemoryRateLimiter(options.rateLimit),
    stops: new MemoryStopSignals(),
    editBudget: new MemoryEditBudgetShares(),
    close: () => queue.close(),
  };
}
