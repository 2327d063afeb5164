import type { RawImage } from "./image.js";

/** Binary PPM (P6) / PGM (P5) with maxval <= 255: the layout of the decoder-free vectors. */
export function isPnm(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x50 && (bytes[1] === 0x35 || bytes[1] === 0x36);
}

export function parsePnm(bytes: Uint8Array, maxPixels = Number.POSITIVE_INFINITY): RawImage {
  if (!isPnm(bytes)) throw new Error("not a binary PPM/PGM (P6/P5) file");
  const channels = bytes[1] === 0x36 ? 3 : 1;
  let pos = 2;
  const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
  const nextNumber = (what: string): number => {
    for (;;) {
      while (pos < bytes.length && isSpace(bytes[pos]!)) pos++;
      if (bytes[pos] !== 0x23) break; // '#' comment to end of line
      while (pos < bytes.length && bytes[pos] !== 0x0a) pos++;
    }
    const start = pos;
    while (pos < bytes.length && bytes[pos]! >= 0x30 && bytes[pos]! <= 0x39) pos++;
    if (pos === start) throw new Error(`PNM header: missing ${what}`);
    return Number(new TextDecoder().decode(bytes.subarray(start, pos)));
  };
  const width = nextNumber("width");
  const height = nextNumber("height");
  const maxval = nextNumber("maxval");
  if (!isSpace(bytes[pos] ?? -1)) throw new Error("PNM header: no whitespace after maxval");
  pos++;
  if (maxval < 1 || maxval > 255) throw new Error(`PNM maxval ${maxval} unsupported (only 8-bit)`);
  if (width * height > maxPixels) {
    throw new Error(`image is ${width}x${height} = ${width * height} pixels, over the limit of ${maxPixels}`);
  }
  const size = width * height * channels;
  if (bytes.length - pos < size) throw new Error(`truncated PNM: ${bytes.length - pos} of ${size} pixel bytes`);
  return { width, height, channels, data: bytes.subarray(pos, pos + size) };
}
