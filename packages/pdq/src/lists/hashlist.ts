import { type Hash256, hashToHex } from "../hex.js";
import { HashStore, countDistinct } from "../index/store.js";

/** One list entry as imported. `source` is the sharing party or list the hash came from. */
export interface ListEntryInput {
  hash: Hash256;
  id?: string | undefined;
  label?: string | undefined;
  source?: string | undefined;
}

/** Where an entry was imported from: the file name and its line. */
export interface Provenance {
  origin: string;
  line: number;
}

export interface ListEntry extends ListEntryInput, Provenance {
  index: number;
  hex: string;
}

export interface ListStats {
  entries: number;
  distinctHashes: number;
  bySource: Record<string, number>;
  byLabel: Record<string, number>;
  byOrigin: Record<string, number>;
}

/** No string: the stored reference for an absent id/label/source. */
export const NO_STRING = 0xffffffff;
/** Per entry: id, label, source, origin string references and the line number. */
export const META_FIELDS = 5;

/** Interned strings: labels, sources and origins repeat, so each is stored once. */
export class StringPool {
  readonly values: string[] = [];
  private readonly lookup = new Map<string, number>();

  intern(value: string | undefined): number {
    if (value === undefined || value === "") return NO_STRING;
    let ref = this.lookup.get(value);
    if (ref === undefined) {
      ref = this.values.length;
      this.values.push(value);
      this.lookup.set(value, ref);
    }
    return ref;
  }

  get(ref: number): string | undefined {
    return ref === NO_STRING ? undefined : this.values[ref];
  }
}

/**
 * A hash list held compactly: hashes in a HashStore (32 B each, shareable with an index) and
 * metadata as five uint32 per entry pointing into a string pool.
 */
export class HashList {
  readonly store = new HashStore();
  readonly strings = new StringPool();
  private meta = new Uint32Array(1024 * META_FIELDS);

  get size(): number {
    return this.store.count;
  }

  add(entry: ListEntryInput, provenance: Provenance): number {
    const index = this.store.add(entry.hash);
    this.setMeta(index, [
      this.strings.intern(entry.id),
      this.strings.intern(entry.label),
      this.strings.intern(entry.source),
      this.strings.intern(provenance.origin),
      provenance.line,
    ]);
    return index;
  }

  /** Raw metadata words of entry `index` (id, label, source, origin refs; line). */
  metaOf(index: number): Uint32Array {
    return this.meta.subarray(index * META_FIELDS, (index + 1) * META_FIELDS);
  }

  /** Used by the file reader: metadata words for entries already in the store. */
  setMeta(index: number, words: ArrayLike<number>): void {
    const need = (index + 1) * META_FIELDS;
    if (need > this.meta.length) {
      const grown = new Uint32Array(Math.max(need, Math.ceil(this.meta.length * 1.5)));
      grown.set(this.meta);
      this.meta = grown;
    }
    this.meta.set(words, index * META_FIELDS);
  }

  /** Replaces all metadata at once (file loading); one row of META_FIELDS words per stored hash. */
  loadMeta(words: Uint32Array): void {
    if (words.length !== this.size * META_FIELDS) throw new Error("metadata does not match the number of hashes");
    this.meta = words.slice();
  }

  /** All metadata words, META_FIELDS per entry. */
  metaWords(): Uint32Array {
    return this.meta.subarray(0, this.size * META_FIELDS);
  }

  entry(index: number): ListEntry {
    const hash = this.store.get(index);
    const m = this.metaOf(index);
    return {
      index,
      hash,
      hex: hashToHex(hash),
      id: this.strings.get(m[0]!),
      label: this.strings.get(m[1]!),
      source: this.strings.get(m[2]!),
      origin: this.strings.get(m[3]!) ?? "",
      line: m[4]!,
    };
  }

  stats(): ListStats {
    const count = (into: Record<string, number>, key: string | undefined): void => {
      const k = key ?? "(none)";
      into[k] = (into[k] ?? 0) + 1;
    };
    const stats: ListStats = { entries: this.size, distinctHashes: 0, bySource: {}, byLabel: {}, byOrigin: {} };
    for (let i = 0; i < this.size; i++) {
      const m = this.metaOf(i);
      count(stats.bySource, this.strings.get(m[2]!));
      count(stats.byLabel, this.strings.get(m[1]!));
      count(stats.byOrigin, this.strings.get(m[3]!));
    }
    stats.distinctHashes = countDistinct(this.store);
    return stats;
  }
}
