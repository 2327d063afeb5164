import { describe, expect, it } from "vitest";
import { hammingDistance, hashFromHex, hashToHex } from "../src/index.js";
import { hashFile } from "../src/node/index.js";
import { expectedCsv, vectorFile } from "./vectors.js";

/** Hashes every listed image from its file and returns the distance to the reference for each. */
async function distances(csv: string, cli512: boolean): Promise<{ file: string; distance: number; quality: [number, number] }[]> {
  const out = [];
  for (const row of expectedCsv(csv)) {
    const got = await hashFile(vectorFile(row.file!), { cli512 });
    out.push({ file: row.file!, distance: hammingDistance(got.hash, hashFromHex(row.hash!)), quality: [got.quality, Number(row.quality)] as [number, number] });
  }
  return out;
}

function histogram(ds: { distance: number }[]): Record<number, number> {
  const h: Record<number, number> = {};
  for (const { distance } of ds) h[distance] = (h[distance] ?? 0) + 1;
  return h;
}

describe("real images hashed from file", () => {
  for (const [csv, cli512] of [["fullres.csv", false], ["cli512.csv", true]] as const) {
    it(`${cli512 ? "--cli512" : "full resolution"} against expected/${csv}`, async () => {
      const ds = await distances(csv, cli512);
      console.log(`${csv}: distance distribution ${JSON.stringify(histogram(ds))} over ${ds.length} images`);
      expect(ds.length).toBeGreaterThanOrEqual(33);
      for (const d of ds) {
        expect(d.distance, d.file).toBeLessThanOrEqual(8);
        expect(d.quality[0], d.file).toBe(d.quality[1]);
      }
      // Lossless and plain-RGB inputs leave nothing to the decoder: those must be exact.
      for (const d of ds.filter((x) => /\.(png|webp)$|\/(RGB|L|original)\./.test(x.file))) expect(d.distance, d.file).toBe(0);
    });
  }

  it("--dihedral from file matches expected/cli512-dihedral.csv", async () => {
    const names = ["orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipp", "flipm"] as const;
    let off = 0;
    for (const row of expectedCsv("cli512-dihedral.csv")) {
      const got = await hashFile(vectorFile(row.file!), { cli512: true, dihedral: true });
      for (const n of names) off += hammingDistance(got.dihedral![n], hashFromHex(row[n]!));
      expect(hashToHex(got.dihedral!.orig)).toBe(hashToHex(got.hash));
    }
    expect(off).toBe(0);
  });
});
