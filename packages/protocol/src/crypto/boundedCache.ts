/**
 * A small least-recently-used map. Imported keys are cached so hot paths
 * (signing every message, verifying the same peers) skip re-parsing DER;
 * the bound keeps a long-lived process from growing without limit.
 */
export class BoundedCache<V> {
  readonly #entries = new Map<string, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("capacity must be a positive integer");
  }

  get size(): number {
    return this.#entries.size;
  }

  getOrCreate(key: string, create: () => V): V {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      // Map keeps insertion order: re-insert to mark as most recently used.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const value = create();
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    return value;
  }
}
