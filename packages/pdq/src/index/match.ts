import type { Hash256 } from "../hex.js";

export interface Match {
  /** Position of the hash in its store / list. */
  id: number;
  distance: number;
}

/** The PDQ match threshold: distance <= 31 out of 256 bits. */
export const DEFAULT_MATCH_DISTANCE = 31;

export interface HashIndex {
  readonly size: number;
  add(hash: Hash256): number;
  query(hash: Hash256, maxDistance?: number): Match[];
}

export function byDistanceThenId(a: Match, b: Match): number {
  return a.distance - b.distance || a.id - b.id;
}
