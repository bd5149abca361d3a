// Pages back in rooms whose loaded window holds no message to show yet: a room's newest events can
// all be the edits of one long reply (or hidden commands), and the list and the chat need a message.
// A few rooms at a time, a bounded number of pages each, so a large account does not flood the
// homeserver at start.

export interface BackfillDeps {
  /** The room still has nothing to show and older history to fetch. */
  needsHistory(roomId: string): boolean;
  loadOlder(roomId: string, limit: number): Promise<unknown>;
}

export const BACKFILL = { pages: 5, pageSize: 100, concurrency: 3 } as const;

export interface Backfill {
  /** Pages back in the room if it needs it; resolves once done (at once when it does not). */
  request(roomId: string): Promise<void>;
}

export function createBackfill(deps: BackfillDeps): Backfill {
  const pending = new Map<string, Promise<void>>();
  const queue: (() => Promise<void>)[] = [];
  let running = 0;

  async function fill(roomId: string): Promise<void> {
    for (let page = 0; page < BACKFILL.pages && deps.needsHistory(roomId); page += 1) {
      await deps.loadOlder(roomId, BACKFILL.pageSize);
    }
  }

  function next(): void {
    while (running < BACKFILL.concurrency && queue.length > 0) {
      running += 1;
      const job = queue.shift()!;
      job().finally(() => {
        running -= 1;
        next();
      });
    }
  }

  return {
    request(roomId) {
      const known = pending.get(roomId);
      if (known) return known;
      if (!deps.needsHistory(roomId)) return Promise.resolve();
      const done = new Promise<void>((resolve) => {
        queue.push(() =>
          fill(roomId)
            // A failed page is left to the chat's own "Load earlier" and the next request.
            .catch(() => undefined)
            .finally(() => {
              pending.delete(roomId);
              resolve();
            }),
        );
      });
      pending.set(roomId, done);
      next();
      return done;
    },
  };
}
