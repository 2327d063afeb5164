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

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** No string: the stored reference for an absent id/label/source. */
export const NO_STRING = 0xffffffff;
/** Per entry: id, label, source, origin string references and the line number. */
export const META_FIELDS = 5;

/**
 * Interned strings: labels, sources and origins repeat, so each is stored once. Strings read from
 * a list file stay as UTF-8 in the file buffer and are decoded when asked for; the lookup map
 * needed for interning is built only when something is added. So opening a 10M-entry list to
 * match against it decodes no ids at all.
 */
export class StringPool {
  private text: Uint8Array = new Uint8Array(0);
  private starts: Uint32Array = new Uint32Array(0);
  private ends: Uint32Array = new Uint32Array(0);
  private readonly added: string[] = [];
  private lookup: Map<string, number> | undefined;

  /** A pool over a file's string table: string i is text[starts[i]..ends[i]). */
  static fromTable(text: Uint8Array, starts: Uint32Array, ends: Uint32Array): StringPool {
    const pool = new StringPool();
    pool.text = text;
    pool.starts = starts;
    pool.ends = ends;
    return pool;
  }

  get size(): number {
    return this.starts.length + this.added.length;
  }

  intern(value: string | undefined): number {
    if (value === undefined || value === "") return NO_STRING;
    const lookup = this.index();
    let ref = lookup.get(value);
    if (ref === undefined) {
      ref = this.size;
      this.added.push(value);
      lookup.set(value, ref);
    }
    return ref;
  }

  get(ref: number): string | undefined {
    if (ref === NO_STRING) return undefined;
    const frozen = this.starts.length;
    if (ref < frozen) return utf8.decode(this.text.subarray(this.starts[ref]!, this.ends[ref]!));
    return this.added[ref - frozen];
  }

  /** UTF-8 bytes of every string in ref order (file strings are not re-encoded). */
  *encoded(): Generator<Uint8Array> {
    for (let i = 0; i < this.starts.length; i++) yield this.text.subarray(this.starts[i]!, this.ends[i]!);
    for (const s of this.added) yield encoder.encode(s);
  }

  private index(): Map<string, number> {
    if (this.lookup === undefined) {
      this.lookup = new Map();
      for (let ref = 0; ref < this.size; ref++) {
        const s = this.get(ref)!;
        if (!this.lookup.has(s)) this.lookup.set(s, ref);
      }
    }
    return this.lookup;
  }
}

/**
 * A hash list held compactly: hashes in a HashStore (32 B each, shareable with an index) and
 * metadata as five uint32 per entry pointing into a string pool.
 */
export class HashList {
  readonly store = new HashStore();
  strings = new StringPool();
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
    const meta = this.metaWords();
    // Count by string reference first; only the distinct references are decoded.
    const tally = (field: number): Record<string, number> => {
      const counts = new Map<number, number>();
      for (let i = field; i < meta.length; i += META_FIELDS) counts.set(meta[i]!, (counts.get(meta[i]!) ?? 0) + 1);
      const out: Record<string, number> = {};
      for (const [ref, n] of counts) {
        const key = this.strings.get(ref) ?? "(none)";
        out[key] = (out[key] ?? 0) + n;
      }
      return out;
    };
    return {
      entries: this.size,
      distinctHashes: countDistinct(this.store),
      bySource: tally(2),
      byLabel: tally(1),
      byOrigin: tally(3),
    };
  }
}
