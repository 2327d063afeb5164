import { type RawImage, lumaFromImage, squashNearest } from "./image.js";
import { type DihedralHashes, type PdqResult, dihedralFromDetail, pdqDetailFromLuma } from "./pdq.js";

export interface HashImageOptions {
  /** Squash to 512x512 by nearest neighbour first, like the reference command-line tool. */
  cli512?: boolean;
  /** Also compute the 8 dihedral hashes (from the same DCT). */
  dihedral?: boolean;
}

export interface ImageHash extends PdqResult {
  dihedral?: DihedralHashes;
}

let lumaCache = new Float32Array(0);

/** Decoded pixels (from sharp, a PNM file or a canvas) → PDQ hash and quality. */
export function hashImage(image: RawImage, options: HashImageOptions = {}): ImageHash {
  const input = options.cli512 ? squashNearest(image, 512) : image;
  // The luma plane is the filter's working buffer and is consumed synchronously: reuse it.
  if (lumaCache.length < input.width * input.height) lumaCache = new Float32Array(input.width * input.height);
  const detail = pdqDetailFromLuma(lumaFromImage(input, lumaCache), input.width, input.height);
  const result: ImageHash = { hash: detail.hash, quality: detail.quality };
  if (options.dihedral) result.dihedral = dihedralFromDetail(detail);
  return result;
}
