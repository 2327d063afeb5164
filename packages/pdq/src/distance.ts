import type { Hash256 } from "./hex.js";

/** Bit count of a 32-bit value (SWAR; JS has no popcount intrinsic). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export function hammingDistance(a: Hash256, b: Hash256): number {
  let d = 0;
  for (let w = 0; w < a.length; w++) d += popcount32(((a[w] ?? 0) ^ (b[w] ?? 0)) & 0xffff);
  return d;
}
