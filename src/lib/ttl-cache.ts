/**
 * @module lib/ttl-cache — a small time-limited cache (per app instance, never global) for
 * look-ups every request repeats: the token's actor and the project by name. Entries live
 * `ttlMs` (Default: 5 s); changes made in this process clear them at once, other processes see
 * them within the TTL.
 */

export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  constructor(
    private readonly ttlMs = 5_000,
    private readonly max = 10_000,
  ) {}

  get(key: string, now = Date.now()): V | undefined {
    const e = this.entries.get(key);
    if (!e) {
      return undefined;
    }
    if (e.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, now = Date.now()): void {
    if (this.entries.size >= this.max) {
      // Drop the oldest insertion; a Map iterates in insertion order.
      const first = this.entries.keys().next();
      if (!first.done) {
        this.entries.delete(first.value);
      }
    }
    this.entries.set(key, { value, until: now + this.ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
