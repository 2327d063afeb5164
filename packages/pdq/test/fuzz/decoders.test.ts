/**
 * Fuzzing every decoder of untrusted input in @safelight/pdq (docs/reliability.md): PNM and image bytes,
 * hash-list CSV/TSV text and binary (.pdql) list files, generated and mutated from real encodings. The
 * core throws plain `Error` with a message for the user (never a TypeError or RangeError), the node
 * entry `ImageInputError`; the CSV importer reports row errors and never throws.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import sharp from "sharp";
import { fuzzBytes, fuzzParams, mutated, onlyDocumentedErrors } from "../../../../tools/fuzz/budget.js";
import { HashList, crc32, decodeHashList, encodeHashList, hashFromHex, importHashList, parseDelimited, parsePnm } from "../../src/index.js";
import { ImageInputError, decodeImage } from "../../src/node/index.js";

/** A plain Error of our own, not a JS engine failure (TypeError, RangeError) escaping from a bad offset. */
const isPlainError = (err: unknown) => err instanceof Error && err.constructor === Error;

const pixels = Uint8Array.from({ length: 12 * 10 * 3 }, (_, i) => (i * 37) % 256);
const ppm = Uint8Array.from([...new TextEncoder().encode("P6\n# c\n12 10\n255\n"), ...pixels]);
const pgm = Uint8Array.from([...new TextEncoder().encode("P5 12 10 255 "), ...pixels.subarray(0, 120)]);
const raw = { raw: { width: 12, height: 10, channels: 3 as const } };
const png = new Uint8Array(await sharp(pixels, raw).png().toBuffer());
const jpeg = new Uint8Array(await sharp(pixels, raw).jpeg().toBuffer());

const hex = (i: number) => i.toString(16).padStart(64, "0");
const csv = `hash,id,label,source\n${hex(1)},id-1,lab,src\n"${hex(2)}","id,2","a ""q""",src\n${hex(3)}\t,x,,\n`;
const list = new HashList();
for (let i = 1; i <= 4; i++) list.add({ hash: hashFromHex(hex(i * 977)), id: `id-${i}`, label: i % 2 ? "a" : undefined }, { origin: "fuzz.csv", line: i });
const pdql = encodeHashList(list);

/** A mutated list file with its checksum fixed, so the fuzz reaches the counts and the string table. */
const withCrc = (bytes: Uint8Array) => {
  if (bytes.length < 24) return bytes;
  const out = Uint8Array.from(bytes);
  new DataView(out.buffer).setUint32(20, crc32(out.subarray(24)) >>> 0, true);
  return out;
};

describe("fuzz: PNM and image inputs", () => {
  it("parsePnm throws only its own Error", () => {
    fc.assert(fc.property(fuzzBytes([ppm, pgm], 512), (bytes) => {
      try {
        parsePnm(bytes, 1_000_000);
      } catch (err) {
        if (!isPlainError(err)) throw err;
      }
    }), fuzzParams());
  });

  it("decodeImage (PNM, PNG, JPEG through sharp) throws only ImageInputError", async () => {
    await fc.assert(
      fc.asyncProperty(fuzzBytes([ppm, png, jpeg], 1024), async (bytes) => {
        await onlyDocumentedErrors(() => decodeImage(bytes, { maxPixels: 1_000_000 }), (err) => err instanceof ImageInputError);
      }),
      fuzzParams(0.25),
    );
  });
});

describe("fuzz: hash-list codecs", () => {
  it("the CSV/TSV importer and parser never throw; every row is imported or reported", () => {
    const seeds = [new TextEncoder().encode(csv), new TextEncoder().encode(csv.replaceAll(",", "\t"))];
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), mutated(seeds).map((b) => new TextDecoder().decode(b))), (text) => {
      const { rows, errors } = importHashList(text);
      for (const r of rows) expect(r.hash).toHaveLength(16);
      expect(rows.length + errors.length).toBeGreaterThanOrEqual(0);
      parseDelimited(text);
    }), fuzzParams());
  });

  it("decodeHashList (.pdql) throws only its own Error, also with the checksum made to match", () => {
    fc.assert(fc.property(fc.oneof(fuzzBytes([pdql], 512), mutated([pdql]).map(withCrc)), (bytes) => {
      try {
        const decoded = decodeHashList(bytes);
        for (let i = 0; i < decoded.size; i++) decoded.entry(i);
      } catch (err) {
        if (!isPlainError(err)) throw err;
      }
    }), fuzzParams());
  });
});
