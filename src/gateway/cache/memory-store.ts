// The gateway cache's first level (gateway cache, data plane, pure): least-recently-used answers
// under an entry and a byte limit, each served until its TTL. Times come from the caller's Clock.

interface Entry<V> {
  value: V;
  bytes: number;
  expiresAtMs: number;
}

export interface MemoryLimits {
  maxEntries: number;
  maxBytes: number;
  ttlMs: number;
}

/** A Map in recency order (oldest first): a hit moves its key to the end, eviction takes from the front. */
export class MemoryStore<V> {
  private readonly map = new Map<string, Entry<V>>();
  private heldBytes = 0;
  /** Entries evicted for room (not expired ones). */
  evictions = 0;

  constructor(private readonly limits: MemoryLimits) {}

  get size(): number {
    return this.map.size;
  }

  /** Bytes held: every entry's value bytes plus its key. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** The value of `key` if present and not expired at `nowMs` (an expired one is dropped). */
  get(key: string, nowMs: number): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    this.map.delete(key);
    if (e.expiresAtMs <= nowMs) {
      this.heldBytes -= e.bytes;
      return undefined;
    }
    this.map.set(key, e);
    return e.value;
  }

  /**
   * Keeps `value` (of `valueBytes`) under `key` until `nowMs + ttlMs`, evicting the least recently
   * used entries until both limits hold. A value bigger than the byte limit alone is not kept.
   * Returns whether it was kept.
   */
  set(key: string, value: V, valueBytes: number, nowMs: number): boolean {
    const bytes = valueBytes + key.length;
    if (bytes > this.limits.maxBytes) return false;
    const old = this.map.get(key);
    if (old !== undefined) {
      this.map.delete(key);
      this.heldBytes -= old.bytes;
    }
    while (
      this.map.size > 0 &&
      (this.map.size + 1 > this.limits.maxEntries || this.heldBytes + bytes > this.limits.maxBytes)
    ) {
      const [k, e] = this.map.entries().next().value as [string, Entry<V>];
      this.map.delete(k);
      this.heldBytes -= e.bytes;
      if (e.expiresAtMs > nowMs) this.evictions++;
    }
    this.map.set(key, { value, bytes, expiresAtMs: nowMs + this.limits.ttlMs });
    this.heldBytes += bytes;
    return true;
  }

  /** Drops every entry (not counted as evictions). */
  clear(): void {
    this.map.clear();
    this.heldBytes = 0;
  }
}
