// A Map bounded in size (least recently used evicted) and in age (per-entry expiry), so a
// long-running process's memory does not grow without limit.
export class TtlLru<V> {
  private readonly map = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly maxEntries: number,
    /** 0 = no expiry. */
    private readonly ttlMs = 0,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string, now = Date.now()): V | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt && entry.expiresAt <= now) {
      this.map.delete(key);
      return undefined;
    }
    // Re-insert: Map iteration order is insertion order, so the first key is the least recent.
    this.map.delete(key);
    this.map.set(key, entry);
    return entry.value;
  }

  /** The value without counting as a use (no reordering); undefined when absent or expired. */
  peek(key: string, now = Date.now()): V | undefined {
    const entry = this.map.get(key);
    return entry && (!entry.expiresAt || entry.expiresAt > now) ? entry.value : undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: V, ttlMs = this.ttlMs): void {
    this.map.delete(key);
    this.map.set(key, { value, expiresAt: ttlMs ? Date.now() + ttlMs : 0 });
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  /** The live entries, least recent first. */
  *entries(now = Date.now()): IterableIterator<[key: string, value: V]> {
    for (const [key, entry] of this.map) {
      if (!entry.expiresAt || entry.expiresAt > now) yield [key, entry.value];
    }
  }

  delete(key: string): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}
