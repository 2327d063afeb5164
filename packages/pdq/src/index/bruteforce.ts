import type { Hash256 } from "../hex.js";
import { type HashIndex, type Match, DEFAULT_MATCH_DISTANCE, byDistanceThenId } from "./match.js";
import { CHUNK_BITS, CHUNK_SIZE, HashStore, POP16, WORDS32, hashToWords32 } from "./store.js";

/**
 * Linear scan of ids [from, to), stopping a comparison as soon as it is over the limit.
 * The reference answer for the MIH index and its fallback for large radii.
 */
export function scanRange(store: HashStore, q: Uint32Array, maxDistance: number, from: number, to: number, out: Match[]): void {
  for (let id = from; id < to; ) {
    const chunk = store.chunks[id >>> CHUNK_BITS]!;
    const end = Math.min(to, ((id >>> CHUNK_BITS) + 1) * CHUNK_SIZE);
    for (let o = (id & (CHUNK_SIZE - 1)) * WORDS32; id < end; id++, o += WORDS32) {
      let d = 0;
      for (let w = 0; w < WORDS32 && d <= maxDistance; w++) {
        const x = chunk[o + w]! ^ q[w]!;
        d += POP16[x & 0xffff]! + POP16[x >>> 16]!;
      }
      if (d <= maxDistance) out.push({ id, distance: d });
    }
  }
}

export class BruteForceIndex implements HashIndex {
  constructor(readonly store: HashStore = new HashStore()) {}

  get size(): number {
    return this.store.count;
  }

  add(hash: Hash256): number {
    return this.store.add(hash);
  }

  query(hash: Hash256, maxDistance = DEFAULT_MATCH_DISTANCE): Match[] {
    const out: Match[] = [];
    scanRange(this.store, hashToWords32(hash), maxDistance, 0, this.store.count, out);
    return out.sort(byDistanceThenId);
  }
}
