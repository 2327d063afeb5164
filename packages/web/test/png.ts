/** Small valid PNGs made in the test, with a marker string in a tEXt chunk so the no-plaintext check can
 *  look for the file's contents on the server: an RGB gradient, or given 8-bit RGB pixels (lossless, so a
 *  browser decodes exactly those pixels). */
import { deflateSync } from "node:zlib";
import { crc32 } from "@safelight/pdq";

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** `rgb`: width × height × 3 bytes, row by row. */
export function encodePng(width: number, height: number, rgb: Uint8Array, marker: string): Buffer {
  if (rgb.length !== width * height * 3) throw new Error(`expected ${width * height * 3} RGB bytes, got ${rgb.length}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // RGB
  const raw = Buffer.alloc((width * 3 + 1) * height); // each row: filter type 0 (none), then its pixels
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("tEXt", Buffer.from(`Comment\0${marker}`, "latin1")),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export function makePng(width: number, height: number, marker: string, hue = 0): Buffer {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      rgb[p] = (x * 255) / width + hue;
      rgb[p + 1] = (y * 255) / height;
      rgb[p + 2] = 160 - hue;
    }
  }
  return encodePng(width, height, rgb, marker);
}
