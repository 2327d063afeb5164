import type { Hash256 } from "../hex.js";
import { scanRange } from "./bruteforce.js";
import { type HashIndex, type Match, DEFAULT_MATCH_DISTANCE, byDistanceThenId } from "./match.js";
import { CHUNK_BITS, CHUNK_SIZE, HashStore, POP16, WORDS32, hashToWords32 } from "./store.js";

/**
 * Multi-index hashing (Norouzi et al.) over the 16 16-bit words of a PDQ hash.
 *
 * Pigeonhole, twice: if two hashes differ in at most D bits, one of the 8 word pairs (32 bits)
 * differs in at most R = floor(D / 8) bits, and within that pair one word differs in at most
 * r = floor(R / 2) (D = 31: R = 3, r = 1). So for each word we look up the buckets of every value
 * within r of the query's word (17 values for D <= 31). Each posting carries the other word of
 * its pair, so a candidate whose pair is over R is dropped without touching the hash itself
 * (about 99.5% of random candidates); the rest get a full distance check. A candidate is reported
 * only from the first word that meets both conditions, so no per-query "seen" set is needed.
 *
 * Layout: hashes live once in a chunked HashStore (32 B each). The index is a list of tiers,
 * each covering a contiguous id range; a tier holds, per word, a CSR table: offsets (one uint32
 * per bucket + 1) and postings sorted by bucket: uint32 id + uint16 partner word, 6 B per hash
 * per word. A bucket is the word's top
 * `bits` bits, bits = log2(tier size) clamped to 8..16, so small tiers stay small; candidates from
 * a coarse bucket are checked against the word itself before anything else. Adding hashes appends to
 * an unindexed tail (scanned linearly); a full tail becomes a tier and tiers of similar size
 * are merged, like a log-structured merge tree, so nothing is rebuilt wholesale on insert.
 */
export const SEGMENTS = 16;
const BUCKETS = 1 << 16;
/** Beyond this per-word radius (D >= 48) the probe count explodes; scan instead. */
export const MAX_MIH_RADIUS = 2;
/** Hashes kept unindexed before they become a tier (a scan of this many is ~0.1 ms). */
export const DEFAULT_TAIL_LIMIT = 8192;
/** Scan a tier instead when probing would verify more than this fraction of it. */
export const DEFAULT_SCAN_FRACTION = 1 / 16;

interface Tier {
  start: number;
  end: number;
  /** Bucket = word >>> shift. */
  shift: number;
  offsets: Uint32Array[];
  ids: Uint32Array[];
  /** Per posting, the other 16-bit word of the same 32-bit pair. */
  partners: Uint16Array[];
}

const EMPTY = new Uint32Array(0);
const EMPTY16 = new Uint16Array(0);

interface SegmentTable {
  offsets: Uint32Array;
  ids: Uint32Array;
  partners: Uint16Array;
}

/** XOR masks of weight 0..r over 16 bits. */
function probeMasks(r: number): Uint16Array {
  const masks: number[] = [];
  for (let v = 0; v < BUCKETS; v++) if (POP16[v]! <= r) masks.push(v);
  masks.sort((a, b) => POP16[a]! - POP16[b]! || a - b);
  return Uint16Array.from(masks);
}
const MASKS = [0, 1, 2].map(probeMasks);

/** Distinct bucket XORs for radius r at a given shift (coarse buckets merge many masks). */
const bucketMaskCache = new Map<number, Uint16Array>();
function bucketMasks(r: number, shift: number): Uint16Array {
  const key = r * 32 + shift;
  let masks = bucketMaskCache.get(key);
  if (masks === undefined) {
    masks = Uint16Array.from(new Set(Array.from(MASKS[r]!, (m) => m >>> shift)));
    bucketMaskCache.set(key, masks);
  }
  return masks;
}

/** Bucket shift for a tier of n hashes: about one hash per bucket, 256 to 65536 buckets. */
function shiftFor(n: number): number {
  const bits = Math.min(16, Math.max(8, Math.ceil(Math.log2(Math.max(1, n)))));
  return 16 - bits;
}

/** Counting sort of ids [start, end) by the bucket of word `s`. */
function buildSegment(store: HashStore, s: number, start: number, end: number, bucketShift: number): SegmentTable {
  const buckets = BUCKETS >>> bucketShift;
  const offsets = new Uint32Array(buckets + 1);
  const word = s >> 1;
  const shift = (s & 1) * 16 + bucketShift;
  const mask = buckets - 1;
  const partnerShift = 16 - (s & 1) * 16;
  const forEach = (fn: (id: number, v: number, pair: number) => void): void => {
    for (let id = start; id < end; ) {
      const chunk = store.chunks[id >>> CHUNK_BITS]!;
      const stop = Math.min(end, ((id >>> CHUNK_BITS) + 1) * CHUNK_SIZE);
      for (let o = (id & (CHUNK_SIZE - 1)) * WORDS32 + word; id < stop; id++, o += WORDS32) {
        fn(id, (chunk[o]! >>> shift) & mask, chunk[o]!);
      }
    }
  };
  forEach((_id, v) => offsets[v + 1]!++);
  for (let v = 0; v < buckets; v++) offsets[v + 1]! += offsets[v]!;
  const cursor = offsets.slice(0, buckets);
  const ids = new Uint32Array(end - start);
  const partners = new Uint16Array(end - start);
  forEach((id, v, pair) => {
    const at = cursor[v]!++;
    ids[at] = id;
    partners[at] = (pair >>> partnerShift) & 0xffff;
  });
  return { offsets, ids, partners };
}

function pushSegment(tier: Tier, table: SegmentTable): void {
  tier.offsets.push(table.offsets);
  tier.ids.push(table.ids);
  tier.partners.push(table.partners);
}

export interface MihOptions {
  tailLimit?: number;
  /** Candidate fraction above which a tier is scanned; Infinity always probes (tests). */
  scanFraction?: number;
}

export interface MihStats {
  hashes: number;
  tiers: number[];
  tail: number;
  storeBytes: number;
  indexBytes: number;
}

export class MihIndex implements HashIndex {
  readonly store: HashStore;
  private readonly tiers: Tier[] = [];
  private tailStart = 0;
  private readonly tailLimit: number;
  private readonly scanFraction: number;

  /** Indexes whatever the store already holds, then follows its growth through add(). */
  constructor(store: HashStore = new HashStore(), options: MihOptions = {}) {
    this.store = store;
    this.tailLimit = options.tailLimit ?? DEFAULT_TAIL_LIMIT;
    this.scanFraction = options.scanFraction ?? DEFAULT_SCAN_FRACTION;
    this.maybeFlush();
  }

  get size(): number {
    return this.store.count;
  }

  add(hash: Hash256): number {
    const id = this.store.add(hash);
    this.maybeFlush();
    return id;
  }

  /** Appends many hashes (8 uint32 words each) and indexes them in one tier. */
  addPacked(words: Uint32Array): void {
    this.store.addPacked(words);
    this.maybeFlush();
  }

  private maybeFlush(): void {
    if (this.store.count - this.tailStart >= this.tailLimit) this.flush();
  }

  /** Indexes the tail now (done automatically once it reaches the tail limit). */
  flush(): void {
    const end = this.store.count;
    if (end === this.tailStart) return;
    this.tiers.push(this.buildTier(this.tailStart, end));
    this.tailStart = end;
    // Keep tier sizes falling by more than half each step: O(log n) tiers, amortised O(log n) work per hash.
    for (;;) {
      const last = this.tiers[this.tiers.length - 1]!;
      const prev = this.tiers[this.tiers.length - 2];
      if (prev === undefined || 2 * (last.end - last.start) <= prev.end - prev.start) break;
      this.tiers.splice(this.tiers.length - 2, 2, this.mergeTiers(prev, last));
    }
  }

  query(hash: Hash256, maxDistance = DEFAULT_MATCH_DISTANCE): Match[] {
    if (!Number.isInteger(maxDistance) || maxDistance < 0) throw new RangeError(`bad distance ${maxDistance}`);
    const q = hashToWords32(hash);
    const out: Match[] = [];
    const pairRadius = Math.floor(maxDistance / (SEGMENTS / 2));
    const r = pairRadius >> 1;
    if (r > MAX_MIH_RADIUS) {
      scanRange(this.store, q, maxDistance, 0, this.store.count, out);
      return out.sort(byDistanceThenId);
    }
    const qs = new Uint16Array(q.buffer);
    for (const tier of this.tiers) {
      const masks = bucketMasks(r, tier.shift);
      if (this.candidateCount(tier, qs, masks) > (tier.end - tier.start) * this.scanFraction) {
        scanRange(this.store, q, maxDistance, tier.start, tier.end, out);
      } else {
        this.probeTier(tier, q, qs, masks, r, pairRadius, maxDistance, out);
      }
    }
    scanRange(this.store, q, maxDistance, this.tailStart, this.store.count, out);
    return out.sort(byDistanceThenId);
  }

  stats(): MihStats {
    let indexBytes = 0;
    for (const t of this.tiers) {
      for (let s = 0; s < SEGMENTS; s++) indexBytes += t.offsets[s]!.byteLength + t.ids[s]!.byteLength + t.partners[s]!.byteLength;
    }
    return {
      hashes: this.store.count,
      tiers: this.tiers.map((t) => t.end - t.start),
      tail: this.store.count - this.tailStart,
      storeBytes: this.store.byteLength,
      indexBytes,
    };
  }

  private buildTier(start: number, end: number): Tier {
    const tier: Tier = { start, end, shift: shiftFor(end - start), offsets: [], ids: [], partners: [] };
    for (let s = 0; s < SEGMENTS; s++) pushSegment(tier, buildSegment(this.store, s, start, end, tier.shift));
    return tier;
  }

  /** Rebuilds one word at a time and drops the old tables as it goes, bounding peak memory. */
  private mergeTiers(a: Tier, b: Tier): Tier {
    const merged: Tier = { start: a.start, end: b.end, shift: shiftFor(b.end - a.start), offsets: [], ids: [], partners: [] };
    for (let s = 0; s < SEGMENTS; s++) {
      for (const old of [a, b]) {
        old.ids[s] = EMPTY;
        old.partners[s] = EMPTY16;
      }
      pushSegment(merged, buildSegment(this.store, s, merged.start, merged.end, merged.shift));
    }
    return merged;
  }

  private candidateCount(tier: Tier, qs: Uint16Array, masks: Uint16Array): number {
    let n = 0;
    for (let s = 0; s < SEGMENTS; s++) {
      const offs = tier.offsets[s]!;
      const qb = qs[s]! >>> tier.shift;
      for (let m = 0; m < masks.length; m++) {
        const v = qb ^ masks[m]!;
        n += offs[v + 1]! - offs[v]!;
      }
    }
    return n;
  }

  private probeTier(
    tier: Tier,
    q: Uint32Array,
    qs: Uint16Array,
    masks: Uint16Array,
    r: number,
    pairRadius: number,
    maxDistance: number,
    out: Match[],
  ): void {
    const chunks = this.store.chunks;
    for (let s = 0; s < SEGMENTS; s++) {
      const offs = tier.offsets[s]!;
      const ids = tier.ids[s]!;
      const partners = tier.partners[s]!;
      const qv = qs[s]!;
      const qp = qs[s ^ 1]!;
      const qb = qv >>> tier.shift;
      const ownWord = s >> 1;
      const ownShift = (s & 1) * 16;
      for (let m = 0; m < masks.length; m++) {
        const v = qb ^ masks[m]!;
        // Full-width buckets pin the word exactly; coarse ones need it read back.
        const exact = tier.shift === 0 ? POP16[v ^ qv]! : -1;
        const stop = offs[v + 1]!;
        for (let p = offs[v]!; p < stop; p++) {
          const dp = POP16[partners[p]! ^ qp]!;
          if (dp > pairRadius) continue;
          const id = ids[p]!;
          const chunk = chunks[id >>> CHUNK_BITS]!;
          const o = (id & (CHUNK_SIZE - 1)) * WORDS32;
          const dw = exact >= 0 ? exact : POP16[((chunk[o + ownWord]! >>> ownShift) & 0xffff) ^ qv]!;
          if (dw > r || dw + dp > pairRadius) continue;
          let d = 0;
          let w = 0;
          for (; w < WORDS32; w++) {
            const x = chunk[o + w]! ^ q[w]!;
            const lo = POP16[x & 0xffff]!;
            const hi = POP16[x >>> 16]!;
            // Already reported through an earlier word meeting both conditions: skip here.
            if (lo + hi <= pairRadius && ((2 * w < s && lo <= r) || (2 * w + 1 < s && hi <= r))) break;
            d += lo + hi;
            if (d > maxDistance) break;
          }
          if (w === WORDS32) out.push({ id, distance: d });
        }
      }
    }
  }
}
