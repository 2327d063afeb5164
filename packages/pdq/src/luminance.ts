/**
 * RGB to luma with the reference's float32 coefficients. Every product and sum is rounded to
 * float32 (Math.fround) because the C++ evaluates them in float; doubles would move bits.
 */
const R = Math.fround(0.299);
const G = Math.fround(0.587);
const B = Math.fround(0.114);

/** Interleaved 8-bit pixels with `channels` per pixel (3 = RGB, 4 = RGBA; extra channels ignored). */
export function lumaFromRgb(pixels: Uint8Array, width: number, height: number, channels = 3): Float32Array {
  const n = width * height;
  if (pixels.length < n * channels) throw new Error(`pixel buffer too short for ${width}x${height}x${channels}`);
  const luma = new Float32Array(n);
  const f = Math.fround;
  for (let i = 0, p = 0; i < n; i++, p += channels) {
    luma[i] = f(f(f(R * pixels[p]!) + f(G * pixels[p + 1]!)) + f(B * pixels[p + 2]!));
  }
  return luma;
}

/** Grey pixels are already luma (the reference uses the single channel as is). */
export function lumaFromGrey(pixels: Uint8Array, width: number, height: number, channels = 1): Float32Array {
  const n = width * height;
  if (pixels.length < n * channels) throw new Error(`pixel buffer too short for ${width}x${height}x${channels}`);
  const luma = new Float32Array(n);
  for (let i = 0, p = 0; i < n; i++, p += channels) luma[i] = pixels[p]!;
  return luma;
}
