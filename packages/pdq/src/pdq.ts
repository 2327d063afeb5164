import { dct64To16 } from "./dct.js";
import { type DihedralName, DIHEDRAL_NAMES, transformDct } from "./dihedral.js";
import { type Hash256, zeroHash } from "./hex.js";
import { decimate, jaroszFilter, jaroszWindowSize } from "./jarosz.js";
import { qualityMetric } from "./quality.js";
import { bitsFromDct } from "./threshold.js";

/** Below this many pixels on a side the reference gives up: all-zero hash, quality 0. */
export const MIN_HASHABLE_DIM = 5;

export interface PdqResult {
  hash: Hash256;
  quality: number;
}

export interface PdqDetail extends PdqResult {
  /** 64x64 after filtering and decimation (absent for images under the minimum size). */
  buffer64?: Float32Array;
  /** 16x16 DCT before thresholding. */
  dct16?: Float32Array;
}

export type DihedralHashes = Record<DihedralName, Hash256>;

let scratchCache = new Float32Array(0);
/** The filter's second buffer, reused across calls (hashing is synchronous, so never shared). */
function scratchBuffer(n: number): Float32Array {
  if (scratchCache.length < n) scratchCache = new Float32Array(n);
  return scratchCache.subarray(0, n);
}

/**
 * Filters, decimates and transforms a luma plane. `luma` is overwritten (it is the filter's
 * working buffer); pass a copy if you still need it.
 */
export function pdqDetailFromLuma(luma: Float32Array, width: number, height: number): PdqDetail {
  if (width < MIN_HASHABLE_DIM || height < MIN_HASHABLE_DIM) return { hash: zeroHash(), quality: 0 };
  if (luma.length < width * height) throw new Error(`luma buffer too short for ${width}x${height}`);
  const scratch = scratchBuffer(width * height);
  jaroszFilter(luma, scratch, height, width, jaroszWindowSize(width), jaroszWindowSize(height));
  const buffer64 = decimate(luma, height, width);
  const quality = qualityMetric(buffer64);
  const dct16 = dct64To16(buffer64);
  return { hash: bitsFromDct(dct16), quality, buffer64, dct16 };
}

export function pdqFromLuma(luma: Float32Array, width: number, height: number): PdqResult {
  const { hash, quality } = pdqDetailFromLuma(luma, width, height);
  return { hash, quality };
}

/** All 8 dihedral hashes from a single DCT (orig, rot90, rot180, rot270, flipx, flipy, flipp, flipm). */
export function dihedralFromDetail(detail: PdqDetail): DihedralHashes {
  const out = {} as DihedralHashes;
  for (const name of DIHEDRAL_NAMES) {
    out[name] = detail.dct16 === undefined ? zeroHash() : bitsFromDct(transformDct(detail.dct16, name));
  }
  return out;
}
