/**
 * Naive CMYK to RGB, (255 - C)(255 - K) / 255 per channel: what ImageMagick and Pillow do for a
 * CMYK image without a profile, and therefore what the reference hashes were made from.
 * libvips would instead go through a CMYK ICC profile, which moves several hash bits.
 */
export function cmykToRgb(cmyk: Uint8Array, pixels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0, s = 0, d = 0; i < pixels; i++, s += 4, d += 3) {
    const nk = 255 - cmyk[s + 3]!;
    rgb[d] = Math.round(((255 - cmyk[s]!) * nk) / 255);
    rgb[d + 1] = Math.round(((255 - cmyk[s + 1]!) * nk) / 255);
    rgb[d + 2] = Math.round(((255 - cmyk[s + 2]!) * nk) / 255);
  }
  return rgb;
}
