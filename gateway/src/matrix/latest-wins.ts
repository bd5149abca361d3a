// Sends state updates where only the newest one per key matters (a room's typing state, its read
// receipt). Per key, one request is in flight and at most one waits; a newer update replaces the
// waiting one. So the updates of a room reach the homeserver in order (a stop never overtakes its
// start on another connection), nothing queues beyond one update a room, and under overload only
// updates that may be lost are shed: when `maxKeys` keys are in flight, a sheddable update of an idle
// key is dropped, and the others (a reply's `typing: false`) still wait their turn.

export type UpdateOutcome = 'sent' | 'superseded' | 'dropped';

interface Update {
  send: () => Promise<void>;
  resolve: (outcome: UpdateOutcome) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  /** The update after the one in flight; replaced by any newer one. */
  waiting: Update | null;
}

export class LatestWins {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly maxKeys = Number.POSITIVE_INFINITY) {}

  /** Keys with an update in flight. */
  get inFlight(): number {
    return this.slots.size;
  }

  /**
   * Sends `send()` once the key's update in flight (if any) is done. Resolves `sent` (or rejects as
   * `send()` did), `superseded` when a newer update of the key replaced it before it was sent, or
   * `dropped` when it was `sheddable` and `maxKeys` keys were in flight. A failed update does not
   * hold back the next one.
   */
  run(key: string, send: () => Promise<void>, sheddable = false): Promise<UpdateOutcome> {
    return new Promise<UpdateOutcome>((resolve, reject) => {
      const update: Update = { send, resolve, reject };
      const slot = this.slots.get(key);
      if (slot) {
        slot.waiting?.resolve('superseded');
        slot.waiting = update;
        return;
      }
      if (sheddable && this.slots.size >= this.maxKeys) {
        resolve('dropped');
        return;
      }
      const fresh: Slot = { waiting: null };
      this.slots.set(key, fresh);
      void this.drive(key, fresh, update);
    });
  }

  /** Sends the key's updates one after another until none is waiting. */
  private async drive(key: string, slot: Slot, first: Update): Promise<void> {
    let next: Update | null = first;
    while (next) {
      slot.waiting = null;
      try {
        await next.send();
        next.resolve('sent');
      } catch (error) {
        next.reject(error);
      }
      next = slot.waiting;
    }
    this.slots.delete(key);
  }
}
