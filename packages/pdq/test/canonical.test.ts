import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DIHEDRAL_NAMES, dihedralFromDetail, hashToHex, lumaFromImage, parsePnm, pdqDetailFromLuma } from "../src/index.js";
import { expectedCsv, vectorFile } from "./vectors.js";

const rows = expectedCsv("canonical.csv");

function detailOf(file: string) {
  const image = parsePnm(readFileSync(vectorFile(file)));
  return { image, detail: pdqDetailFromLuma(lumaFromImage(image), image.width, image.height) };
}

describe("decoder-free canonical vectors", () => {
  it("has the vectors", () => expect(rows.length).toBeGreaterThanOrEqual(11));

  for (const row of rows) {
    it(`${row.file}: hash, quality and 8 dihedral hashes bit for bit`, () => {
      const { image, detail } = detailOf(row.file!);
      expect([image.channels, image.width, image.height]).toEqual([Number(row.channels), Number(row.width), Number(row.height)]);
      expect(hashToHex(detail.hash)).toBe(row.hash);
      expect(detail.quality).toBe(Number(row.quality));
      const dihedral = dihedralFromDetail(detail);
      for (const name of DIHEDRAL_NAMES) expect(hashToHex(dihedral[name]), name).toBe(row[`dih_${name}`]);
    });
  }
});

describe("intermediate buffers, stage by stage", () => {
  for (const name of ["misc-images__wee", "reg-test-input__dih__bridge-1-original", "reg-test-input__labelme-subset__q0122"]) {
    it(`${name}: 64x64 after Jarosz + decimation and the 16x16 DCT are the same float32 values`, () => {
      const ref = JSON.parse(readFileSync(vectorFile("intermediates", `${name}.json`), "utf8")) as {
        rows: number;
        cols: number;
        quality: number;
        buffer64x64: number[];
        dct16x16: number[];
      };
      const { image, detail } = detailOf(`canonical/${name}.ppm`);
      expect([image.height, image.width]).toEqual([ref.rows, ref.cols]);
      // The JSON prints float32 values with 9 significant digits, which round-trips exactly.
      expect(Array.from(detail.buffer64!)).toEqual(ref.buffer64x64.map(Math.fround));
      expect(Array.from(detail.dct16!)).toEqual(ref.dct16x16.map(Math.fround));
      expect(detail.quality).toBe(ref.quality);
    });
  }
});
