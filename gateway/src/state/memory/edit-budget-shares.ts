import type { EditBudgetShares, OtherProcesses } from '../types.ts';

/** The processes of one in-process backend (one gateway, or several in a test) and their reports. */
export class MemoryEditBudgetShares implements EditBudgetShares {
  private readonly reports = new Map<string, { streams: number; expiresAt: number }>();

  async report(processId: string, streams: number, ttlMs: number): Promise<OtherProcesses> {
    const now = Date.now();
    this.reports.set(processId, { streams, expiresAt: now + ttlMs });
    const others: OtherProcesses = { processes: 0, streams: 0 };
    for (const [id, entry] of this.reports) {
      if (id === processId) continue;
      if (entry.expiresAt <= now) {
        this.reports.delete(id);
        continue;
      }
      others.processes++;
      others.streams += entry.streams;
    }
    return others;
  }

  async leave(processId: string): Promise<void> {
    this.reports.delete(processId);
  }
}
