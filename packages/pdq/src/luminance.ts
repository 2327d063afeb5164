/**
 * RGB to luma with the reference's float32 coefficients. Every product and sum is rounded to
 * float32 (Math.fround) because the C++ evaluates them in float; doubles would move bits.
 */
const R = Math.fround(0.299);
const G = Math.fround(0.587);
const B = Math.fround(0.114);
const table = (coeff: number): Float32Array => Float32Array.from({ length: 256 }, (_, v) => coeff * v);
const RED = table(R);
const GREEN = table(G);
const BLUE = table(B);

/** The output plane: `into` when given (large fresh buffers cost page faults), else a new one. */
function target(n: number, into: Float32Array | undefined): Float32Array {
  if (into === undefined) return new Float32Array(n);
  if (into.length < n) throw new Error(`luma buffer holds ${into.length} values, need ${n}`);
  return into.subarray(0, n);
}

/** Interleaved 8-bit pixels with `channels` per pixel (3 = RGB, 4 = RGBA; extra channels ignored). */
export function lumaFromRgb(pixels: Uint8Array, width: number, height: number, channels = 3, into?: Float32Array): Float32Array {
  const n = width * height;
  if (pixels.length < n * channels) throw new Error(`pixel buffer too short for ${width}x${height}x${channels}`);
  const luma = target(n, into);
  const f = Math.fround;
  for (let i = 0, p = 0; i < n; i++, p += channels) {
    // Products come from float32 tables (exactly fround(coeff * v)); the store rounds the last sum.
    luma[i] = f(RED[pixels[p]!]! + GREEN[pixels[p + 1]!]!) + BLUE[pixels[p + 2]!]!;
  }
  return luma;
}

/** Grey pixels are already luma (the reference uses the single channel as is). */
export function lumaFromGrey(pixels: Uint8Array, width: number, height: number, channels = 1, into?: Float32Array): Float32Array {
  const n = width * height;
  if (pixels.length < n * channels) throw new Error(`pixel buffer too short for ${width}x${height}x${channels}`);
  const luma = target(n, into);
  for (let i = 0, p = 0; i < n; i++, p += channels) luma[i] = pixels[p]!;
  return luma;
}
