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

export async function createMemoryBackend(
  options: ResolvedStateOptions,
  onWarning: (message: string) => void = () => {},
): Promise<StateBackend> {
  const { queue, skipped } = await MemoryWorkQueue.open({
    leaseMs: options.leaseMs,
    dedupeTtlSeconds: options.dedupeTtlSeconds,
    ...(options.journalPath ? { journalPath: options.journalPath } : {}),
  });
  if (skipped > 0)
    onWarning(
      `queue journal ${options.journalPath}: ${skipped} damaged line(s) skipped; the jobs they held may be lost`,
    );
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
