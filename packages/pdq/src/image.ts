import { lumaFromGrey, lumaFromRgb } from "./luminance.js";

/** Decoded 8-bit pixels, interleaved. 1 = grey, 2 = grey + alpha, 3 = RGB, 4 = RGBA. */
export interface RawImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

export function lumaFromImage(image: RawImage, into?: Float32Array): Float32Array {
  const { width, height, channels, data } = image;
  return channels <= 2 ? lumaFromGrey(data, width, height, channels, into) : lumaFromRgb(data, width, height, channels, into);
}

/**
 * The reference CLI's squash: images larger than `size` on either side are resized to exactly
 * size x size by nearest neighbour, aspect ratio not kept. Source index is floor(x * W / size),
 * as CImg's nearest-neighbour resize computes it.
 */
export function squashNearest(image: RawImage, size = 512): RawImage {
  const { width, height, channels, data } = image;
  if (width <= size && height <= size) return image;
  const out = new Uint8Array(size * size * channels);
  const srcX = new Int32Array(size);
  for (let x = 0; x < size; x++) srcX[x] = Math.floor((x * width) / size);
  for (let y = 0; y < size; y++) {
    const row = Math.floor((y * height) / size) * width;
    for (let x = 0; x < size; x++) {
      const s = (row + srcX[x]!) * channels;
      const d = (y * size + x) * channels;
      for (let c = 0; c < channels; c++) out[d + c] = data[s + c]!;
    }
  }
  return { width: size, height: size, channels, data: out };
}
