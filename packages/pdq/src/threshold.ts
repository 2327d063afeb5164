import { type Hash256, setBit, zeroHash } from "./hex.js";

/**
 * Lower median (element 127 of 256 when sorted), the value the reference's Torben median
 * returns for an even count; a coefficient sets its bit when strictly above it.
 */
export function lowerMedian(values: Float32Array): number {
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export function bitsFromDct(dct16: Float32Array): Hash256 {
  const median = lowerMedian(dct16);
  const hash = zeroHash();
  for (let k = 0; k < dct16.length; k++) if (dct16[k]! > median) setBit(hash, k);
  return hash;
}
