import { HASH_WORDS, type Hash256 } from "../hex.js";

/** Hashes per chunk; fixed-size chunks grow the store without copying or over-allocating. */
export const CHUNK_BITS = 16;
export const CHUNK_SIZE = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_SIZE - 1;
/** Each hash is 8 little-endian uint32 words: uint32 w holds 16-bit words 2w (low) and 2w+1 (high). */
export const WORDS32 = 8;

/** Popcount of every 16-bit value: one lookup gives one segment's distance. */
export const POP16: Uint8Array = (() => {
  const t = new Uint8Array(1 << 16);
  for (let i = 1; i < t.length; i++) t[i] = (t[i >> 1] ?? 0) + (i & 1);
  return t;
})();

/** The query as 8 uint32 words, the layout the store and index compare against. */
export function hashToWords32(hash: Hash256): Uint32Array {
  const q = new Uint32Array(WORDS32);
  for (let w = 0; w < WORDS32; w++) q[w] = ((hash[2 * w] ?? 0) | ((hash[2 * w + 1] ?? 0) << 16)) >>> 0;
  return q;
}

/** Append-only, densely numbered hash storage: 32 bytes a hash, ids 0..count-1. */
export class HashStore {
  readonly chunks: Uint32Array[] = [];
  private n = 0;

  get count(): number {
    return this.n;
  }

  add(hash: Hash256): number {
    if (hash.length !== HASH_WORDS) throw new Error(`a PDQ hash has ${HASH_WORDS} words, got ${hash.length}`);
    const id = this.n;
    const chunk = this.chunkFor(id);
    const o = (id & CHUNK_MASK) * WORDS32;
    for (let w = 0; w < WORDS32; w++) chunk[o + w] = (hash[2 * w]! | (hash[2 * w + 1]! << 16)) >>> 0;
    this.n++;
    return id;
  }

  /** Appends hashes already packed as 8 uint32 words each (e.g. read from a list file). */
  addPacked(words: Uint32Array): void {
    if (words.length % WORDS32 !== 0) throw new Error("packed hashes must be 8 words each");
    let src = 0;
    while (src < words.length) {
      const id = this.n;
      const chunk = this.chunkFor(id);
      const o = (id & CHUNK_MASK) * WORDS32;
      const take = Math.min(words.length - src, (CHUNK_SIZE - (id & CHUNK_MASK)) * WORDS32);
      chunk.set(words.subarray(src, src + take), o);
      src += take;
      this.n += take / WORDS32;
    }
  }

  get(id: number): Hash256 {
    this.check(id);
    const chunk = this.chunks[id >>> CHUNK_BITS]!;
    const o = (id & CHUNK_MASK) * WORDS32;
    const hash = new Uint16Array(HASH_WORDS);
    for (let w = 0; w < WORDS32; w++) {
      hash[2 * w] = chunk[o + w]! & 0xffff;
      hash[2 * w + 1] = chunk[o + w]! >>> 16;
    }
    return hash;
  }

  /** 16-bit word `s` (DCT row s) of hash `id`. */
  segment(id: number, s: number): number {
    const word = this.chunks[id >>> CHUNK_BITS]![(id & CHUNK_MASK) * WORDS32 + (s >> 1)]!;
    return (s & 1) === 0 ? word & 0xffff : word >>> 16;
  }

  /** Copies ids [from, to) packed as 8 words each (for saving). */
  packed(from = 0, to = this.n): Uint32Array {
    const out = new Uint32Array((to - from) * WORDS32);
    for (let id = from; id < to; ) {
      const chunk = this.chunks[id >>> CHUNK_BITS]!;
      const start = id & CHUNK_MASK;
      const take = Math.min(to - id, CHUNK_SIZE - start);
      out.set(chunk.subarray(start * WORDS32, (start + take) * WORDS32), (id - from) * WORDS32);
      id += take;
    }
    return out;
  }

  /** Bytes held, for memory reports. */
  get byteLength(): number {
    return this.chunks.length * CHUNK_SIZE * WORDS32 * 4;
  }

  private chunkFor(id: number): Uint32Array {
    const c = id >>> CHUNK_BITS;
    if (c === this.chunks.length) this.chunks.push(new Uint32Array(CHUNK_SIZE * WORDS32));
    return this.chunks[c]!;
  }

  private check(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.n) throw new RangeError(`hash id ${id} out of range`);
  }
}

/**
 * Number of distinct hashes, by open addressing over ids (4-8 bytes a hash; no strings, so it
 * works at 10M+ entries).
 */
export function countDistinct(store: HashStore): number {
  const n = store.count;
  let size = 2;
  while (size < 2 * n) size *= 2;
  const table = new Int32Array(size).fill(-1);
  const mask = size - 1;
  const words = (id: number): [Uint32Array, number] => [store.chunks[id >>> CHUNK_BITS]!, (id & (CHUNK_SIZE - 1)) * WORDS32];
  let distinct = 0;
  for (let id = 0; id < n; id++) {
    const [c, o] = words(id);
    let h = 0x811c9dc5;
    for (let w = 0; w < WORDS32; w++) h = Math.imul(h ^ c[o + w]!, 0x01000193) ^ (h >>> 15);
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const other = table[slot]!;
      if (other === -1) {
        table[slot] = id;
        distinct++;
        break;
      }
      const [d, p] = words(other);
      let same = true;
      for (let w = 0; w < WORDS32 && same; w++) same = c[o + w] === d[p + w];
      if (same) break;
    }
  }
  return distinct;
}
