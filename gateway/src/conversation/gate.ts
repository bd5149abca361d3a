// A counting gate: at most `limit` holders at once, the others wait in order. Used to let only a few jobs
// prepare at a time (room size, history, settings: homeserver and store requests), so that when
// thousands of messages arrive together the first ones reach the LLM quickly instead of every job
// advancing in lockstep behind one long request queue.
export class Gate {
  private holders = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  /** Waits for a place; the returned function gives it back (calling it again does nothing). */
  async enter(): Promise<() => void> {
    if (this.holders < this.limit) this.holders++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.holders--;
    };
  }

  get queued(): number {
    return this.waiting.length;
  }
}
