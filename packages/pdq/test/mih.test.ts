import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BruteForceIndex, type Hash256, HashStore, MihIndex, hashFromHex, hashToHex } from "../src/index.js";
import { vectorFile } from "./vectors.js";

function hexLines(file: string): string[] {
  return readFileSync(vectorFile("images", "reg-test-input", file), "utf8").split(/\s+/).filter((l) => l !== "");
}

/** needle -> set of "distance,match" from the reference output. */
function expectedPairs(): Map<string, Set<string>> {
  const pairs = new Map<string, Set<string>>();
  let needle = "";
  for (const line of readFileSync(vectorFile("expected", "mih-query-needles-vs-haystack-d31.txt"), "utf8").split(/\r?\n/)) {
    const n = /^needle=([0-9a-f]{64})$/.exec(line);
    const m = /^d=(\d+),match=([0-9a-f]{64}),idx=\d+$/.exec(line);
    if (n) pairs.set((needle = n[1]!), new Set());
    else if (m) pairs.get(needle)!.add(`${m[1]},${m[2]}`);
  }
  return pairs;
}

describe("needles vs haystack (reference MIH query, d <= 31)", () => {
  it("finds exactly the reference pairs, with a tiered index and with brute force", () => {
    const haystack = hexLines("haystack.txt");
    const needles = hexLines("needles.txt");
    expect([haystack.length, needles.length]).toEqual([1350, 100]);
    const expected = expectedPairs();
    // A small tail limit forces several tiers plus an unindexed tail.
    const mih = new MihIndex(new HashStore(), { tailLimit: 97, scanFraction: Infinity });
    for (const h of haystack) mih.add(hashFromHex(h));
    expect(mih.stats().tiers.length).toBeGreaterThan(1);
    const brute = new BruteForceIndex(mih.store);
    let total = 0;
    for (const needle of needles) {
      const got = mih.query(hashFromHex(needle), 31);
      const gotPairs = new Set(got.map((m) => `${m.distance},${haystack[m.id]}`));
      expect(gotPairs, needle).toEqual(expected.get(needle) ?? new Set());
      expect(got).toEqual(brute.query(hashFromHex(needle), 31));
      total += got.length;
    }
    expect(total).toBe([...expected.values()].reduce((n, s) => n + s.size, 0));
  });
});

// ---- property tests: MIH == brute force on random and clustered sets ----

function randomHash(rng: () => number): Hash256 {
  const h = new Uint16Array(16);
  for (let i = 0; i < 16; i++) h[i] = Math.floor(rng() * 65536);
  return h;
}

function flipBits(h: Hash256, count: number, rng: () => number): Hash256 {
  const out = h.slice();
  for (let i = 0; i < count; i++) {
    const k = Math.floor(rng() * 256);
    out[k >> 4] = out[k >> 4]! ^ (1 << (k & 15));
  }
  return out;
}

/** Small deterministic PRNG so fast-check controls the whole data set through one seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Always-probe and default (probe or scan per tier) indexes both give the brute-force answer. */
function agree(set: Hash256[], queries: Hash256[], distances: number[], tailLimit: number): void {
  const indexes = [new MihIndex(new HashStore(), { tailLimit, scanFraction: Infinity }), new MihIndex(new HashStore(), { tailLimit })];
  for (const h of set) for (const mih of indexes) mih.add(h);
  const brute = new BruteForceIndex(indexes[0]!.store);
  for (const mih of indexes) {
    for (const q of queries) {
      for (const d of distances) expect(mih.query(q, d), `${hashToHex(q)} d=${d}`).toEqual(brute.query(q, d));
    }
  }
}

describe("MIH agrees with brute force", () => {
  it("on random sets, queries near members and far from them", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 16, max: 1500 }), (seed, size, tailLimit) => {
        const rng = mulberry32(seed);
        const set = Array.from({ length: size }, () => randomHash(rng));
        const queries = [randomHash(rng), ...Array.from({ length: 6 }, () => flipBits(set[Math.floor(rng() * size)]!, Math.floor(rng() * 48), rng))];
        agree(set, queries, [0, 1, 15, 16, 31, 32, 47, 48, 64], tailLimit);
      }),
      { numRuns: 15 },
    );
  });

  it("on clustered sets (near-duplicates and skewed words, as real lists have)", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 120 }), (seed, clusters, perCluster) => {
        const rng = mulberry32(seed);
        const centres = Array.from({ length: clusters }, () => randomHash(rng));
        // Many zero words mimic flat, low-quality images whose hashes share words.
        centres.push(new Uint16Array(16));
        const set: Hash256[] = [];
        for (const c of centres) for (let i = 0; i < perCluster; i++) set.push(flipBits(c, Math.floor(rng() * 40), rng));
        const queries = centres.map((c) => flipBits(c, Math.floor(rng() * 20), rng));
        agree(set, queries, [0, 8, 31, 40], 64 + Math.floor(rng() * 500));
      }),
      { numRuns: 12 },
    );
  });

  it("keeps the same answers as hashes are added over time (incremental build)", () => {
    const rng = mulberry32(7);
    const mih = new MihIndex(new HashStore(), { tailLimit: 50 });
    const brute = new BruteForceIndex(mih.store);
    const base = randomHash(rng);
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 137; i++) mih.add(rng() < 0.3 ? flipBits(base, Math.floor(rng() * 35), rng) : randomHash(rng));
      expect(mih.query(base, 31)).toEqual(brute.query(base, 31));
    }
    const tiers = mih.stats().tiers;
    // Tier sizes fall by more than half each step: logarithmically many tiers.
    for (let i = 1; i < tiers.length; i++) expect(2 * tiers[i]!).toBeLessThanOrEqual(tiers[i - 1]!);
  });

  it("rejects a negative or fractional distance", () => {
    const mih = new MihIndex();
    expect(() => mih.query(new Uint16Array(16), -1)).toThrow(/distance/);
    expect(() => mih.query(new Uint16Array(16), 1.5)).toThrow(/distance/);
  });
});
