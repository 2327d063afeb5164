import { readFile, stat } from "node:fs/promises";
import type { Sharp } from "sharp";
import { cmykToRgb } from "../cmyk.js";
import { type HashImageOptions, type ImageHash, hashImage } from "../hashImage.js";
import type { RawImage } from "../image.js";
import { isPnm, parsePnm } from "../pnm.js";

/** Refuse images with more pixels than this (decompression bombs); about 1.1 GB of working memory. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface DecodeOptions {
  /** Pixel-count ceiling; larger images are refused before their pixels are decoded. */
  maxPixels?: number;
}

/** A failure that concerns one input file; the message is meant for the user as is. */
export class ImageInputError extends Error {
  override name = "ImageInputError";
}

/**
 * Decodes bytes to 8-bit interleaved pixels. PPM/PGM are read directly (no decoder, no
 * resampling); everything else goes through sharp/libvips with the embedded ICC profile
 * ignored, no EXIF auto-rotation, first frame only, alpha dropped (not composited), CMYK
 * converted without a profile.
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RawImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (isPnm(bytes)) {
    try {
      return parsePnm(bytes, maxPixels);
    } catch (err) {
      throw new ImageInputError((err as Error).message);
    }
  }
  try {
    const sharp = await loadSharp();
    const open = (): Sharp =>
      sharp(bytes, { limitInputPixels: maxPixels, failOn: "truncated", ignoreIcc: true, autoOrient: false, pages: 1, page: 0 });
    const meta = await open().metadata();
    // Keep CMYK as CMYK through libvips so we can convert it the naive way (see cmyk.ts).
    const cmyk = meta.space === "cmyk";
    // Grey stays one channel (also with alpha), so luma is the grey value itself, as for PGM.
    const grey = meta.space === "b-w" || meta.space === "grey16";
    const pipeline = cmyk ? open().pipelineColourspace("cmyk").toColourspace("cmyk") : grey ? open().toColourspace("b-w") : open();
    const { data, info } = await pipeline.removeAlpha().raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (cmyk && info.channels === 4) {
      return { width: info.width, height: info.height, channels: 3, data: cmykToRgb(pixels, info.width * info.height) };
    }
    return { width: info.width, height: info.height, channels: info.channels, data: pixels };
  } catch (err) {
    throw new ImageInputError(describeSharpError(err as Error, maxPixels));
  }
}

/**
 * sharp (a native module) is loaded on first decode only: importing the node entry for lists or
 * matching (CLI start-up, other commands) never pays for it.
 */
let sharpModule: Promise<typeof import("sharp")> | undefined;
async function loadSharp(): Promise<typeof import("sharp").default> {
  sharpModule ??= import("sharp");
  return (await sharpModule).default;
}

function describeSharpError(err: Error, maxPixels: number): string {
  const msg = err.message.split("\n")[0] ?? err.message;
  if (/pixel limit/i.test(msg)) return `image exceeds the pixel limit of ${maxPixels} (possible decompression bomb)`;
  if (/unsupported image format/i.test(msg)) return "unsupported or unrecognised image format";
  return `cannot decode image: ${msg}`;
}

/** Reads and decodes one file, turning file-system failures into one clear message. */
export async function decodeFile(path: string, options: DecodeOptions = {}): Promise<RawImage> {
  let bytes: Uint8Array;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new ImageInputError("is a directory");
    if (!info.isFile()) throw new ImageInputError("not a regular file");
    bytes = await readFile(path);
  } catch (err) {
    if (err instanceof ImageInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ImageInputError("no such file");
    if (code === "EACCES") throw new ImageInputError("permission denied");
    throw new ImageInputError(`cannot read: ${(err as Error).message}`);
  }
  if (bytes.length === 0) throw new ImageInputError("empty file");
  return decodeImage(bytes, options);
}

export async function hashFile(path: string, options: HashImageOptions & DecodeOptions = {}): Promise<ImageHash> {
  return hashImage(await decodeFile(path, options), options);
}
