import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashFromHex, hashToHex, hammingDistance, parsePnm } from "../src/index.js";
import { ImageInputError, decodeFile, hashFile } from "../src/node/index.js";
import { expectedCsv, vectorFile } from "./vectors.js";

const dir = mkdtempSync(join(tmpdir(), "pdq-decode-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);

beforeAll(async () => {
  const jpeg = readFileSync(vectorFile("images", "bridge-mods", "aaa-orig.jpg"));
  writeFileSync(at("truncated.jpg"), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  writeFileSync(at("garbage.jpg"), Buffer.from("this is not an image at all, just text"));
  writeFileSync(at("empty.png"), Buffer.alloc(0));
  // 4x4 and 5x5: under the reference's minimum the hash is all zero with quality 0.
  const noise = (n: number) => Buffer.from(Array.from({ length: n * n * 3 }, (_, i) => (i * 37) % 256));
  await sharp(noise(4), { raw: { width: 4, height: 4, channels: 3 } }).png().toFile(at("tiny4.png"));
  writeFileSync(at("tiny4x9.ppm"), Buffer.concat([Buffer.from("P6\n4 9\n255\n"), Buffer.alloc(4 * 9 * 3, 200)]));
  writeFileSync(at("short.ppm"), Buffer.concat([Buffer.from("P6\n10 10\n255\n"), Buffer.alloc(50)]));
  // A small file that declares a huge image: an 8x8 PNG whose header says 20000x20000.
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#808080" } }).png().toBuffer();
  png.writeUInt32BE(20000, 16);
  png.writeUInt32BE(20000, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)) >>> 0, 29);
  writeFileSync(at("bomb.png"), png);
  // GIF: first frame of an animation; grey + alpha PNG.
  const frame = (v: number) => sharp({ create: { width: 64, height: 64, channels: 3, background: { r: v, g: v, b: v } } }).png().toBuffer();
  const gif = await sharp([await frame(10), await frame(240)], { join: { animated: true } }).gif().toBuffer();
  writeFileSync(at("anim.gif"), gif);
}, 60_000);

async function message(path: string, options = {}): Promise<string> {
  const err = await decodeFile(path, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageInputError);
  return (err as Error).message;
}

describe("bad input gives one clear error", () => {
  it("missing file, directory, empty file", async () => {
    expect(await message(at("nope.jpg"))).toBe("no such file");
    expect(await message(dir)).toBe("is a directory");
    expect(await message(at("empty.png"))).toBe("empty file");
  });

  it("corrupt, truncated and unsupported data", async () => {
    expect(await message(at("garbage.jpg"))).toMatch(/unsupported or unrecognised image format/);
    expect(await message(at("truncated.jpg"))).toMatch(/cannot decode image/);
    expect(await message(at("short.ppm"))).toMatch(/truncated PNM/);
  });

  it("decompression bombs are refused beyond the pixel limit, which is configurable", async () => {
    expect(await message(at("bomb.png"))).toMatch(/pixel limit of 100000000/);
    expect(await message(at("bomb.png"), { maxPixels: 1000 })).toMatch(/pixel limit of 1000\b/);
    expect(await message(vectorFile("canonical", "misc-images__wee.ppm"), { maxPixels: 1000 })).toMatch(/over the limit of 1000/);
  });
});

describe("edge cases that still hash", () => {
  it("images under 5 px on a side: all-zero hash, quality 0", async () => {
    for (const f of ["tiny4.png", "tiny4x9.ppm"]) {
      const r = await hashFile(at(f), { dihedral: true });
      expect(hashToHex(r.hash)).toBe("0".repeat(64));
      expect(r.quality).toBe(0);
      expect(hashToHex(r.dihedral!.rot90)).toBe("0".repeat(64));
    }
  });

  it("GIF: only the first frame is hashed", async () => {
    const img = await decodeFile(at("anim.gif"));
    expect([img.width, img.height]).toEqual([64, 64]);
    expect(img.data[0]).toBe(10);
  });

  it("grey, grey+alpha and palette PNGs decode to the same hash as the RGB original", async () => {
    const want = hashFromHex(expectedCsv("fullres.csv").find((r) => r.file!.endsWith("modes/original.jpg"))!.hash!);
    for (const mode of ["L.png", "LA.png", "P.png", "PA.webp", "RGBA.png"]) {
      const got = await hashFile(vectorFile("images", "misc-images", "modes", mode));
      expect(hammingDistance(got.hash, want), mode).toBeLessThanOrEqual(8);
    }
    const grey = await decodeFile(vectorFile("images", "misc-images", "modes", "LA.png"));
    expect(grey.channels).toBe(1);
  });

  it("PGM is read directly as grey", () => {
    const img = parsePnm(readFileSync(vectorFile("canonical", "misc-images__small.pgm")));
    expect(img.channels).toBe(1);
  });
});
