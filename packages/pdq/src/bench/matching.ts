/**
 * Matching benchmark: MIH index build time, memory and median/p99 query time at 1M and 10M
 * hashes, random and clustered, distance 31, with a brute-force scan of the same store in the
 * same run (and a check that both return the same matches).
 * Run: node --expose-gc packages/pdq/dist/bench/matching.js [sizes...]   (default: 1000000 10000000)
 * Each configuration runs in its own child process so its memory figures are its own.
 */
import { execFileSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import type { Hash256 } from "../hex.js";
import { BruteForceIndex } from "../index/bruteforce.js";
import type { Match } from "../index/match.js";
import { MihIndex } from "../index/mih.js";
import { CHUNK_SIZE, HashStore, WORDS32 } from "../index/store.js";
import { MiB, median, quantile, round } from "./stats.js";

type Kind = "random" | "clustered";
const DISTANCE = 31;
const CLUSTER_SIZE = 50;

/** xorshift128+ style generator: fast, seedable, good enough for synthetic hashes. */
function rng32(seed: number): () => number {
  let a = seed | 1;
  let b = 0x9e3779b9;
  return () => {
    let t = a ^ (a << 11);
    a = b;
    b = (b ^ (b >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    t = b;
    return t;
  };
}

function flip(words: Uint32Array, at: number, bits: number, next: () => number): void {
  for (let i = 0; i < bits; i++) {
    const k = next() & 255;
    words[at + (k >> 5)] = (words[at + (k >> 5)]! ^ (1 << (k & 31))) >>> 0;
  }
}

/** Fills a store batch by batch (no second full-size copy). Clustered: centres plus near variants. */
function fill(store: HashStore, n: number, kind: Kind, next: () => number): void {
  const batch = new Uint32Array(CHUNK_SIZE * WORDS32);
  const centre = new Uint32Array(WORDS32);
  for (let done = 0; done < n; ) {
    const take = Math.min(CHUNK_SIZE, n - done);
    for (let i = 0; i < take; i++) {
      const at = i * WORDS32;
      if (kind === "random") {
        for (let w = 0; w < WORDS32; w++) batch[at + w] = next();
      } else {
        if ((done + i) % CLUSTER_SIZE === 0) for (let w = 0; w < WORDS32; w++) centre[w] = next();
        batch.set(centre, at);
        flip(batch, at, next() % 25, next);
      }
    }
    store.addPacked(batch.subarray(0, take * WORDS32));
    done += take;
  }
}

function toHash(words: Uint32Array): Hash256 {
  return new Uint16Array(words.buffer.slice(words.byteOffset, words.byteOffset + 32));
}

/** Half the queries are near members (0-31 bits flipped), half are fresh random hashes. */
function makeQueries(store: HashStore, count: number, next: () => number): Hash256[] {
  const out: Hash256[] = [];
  for (let i = 0; i < count; i++) {
    const w = new Uint32Array(WORDS32);
    if (i % 2 === 0) {
      const id = next() % store.count;
      w.set(store.packed(id, id + 1));
      flip(w, 0, next() % 32, next);
    } else {
      for (let k = 0; k < WORDS32; k++) w[k] = next();
    }
    out.push(toHash(w));
  }
  return out;
}

/** Wall and CPU time per query (CPU time leaves out time the scheduler gave to other processes). */
function timeQueries(queries: Hash256[], run: (q: Hash256) => Match[]): { ms: number[]; cpuMs: number[]; results: Match[][] } {
  const ms: number[] = [];
  const cpuMs: number[] = [];
  const results: Match[][] = [];
  for (const q of queries) {
    const c = process.cpuUsage();
    const t = performance.now();
    results.push(run(q));
    ms.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpuMs.push((d.user + d.system) / 1000);
  }
  return { ms, cpuMs, results };
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function one(n: number, kind: Kind): Record<string, unknown> {
  const next = rng32(n ^ (kind === "random" ? 1 : 2));
  gc();
  const before = process.memoryUsage();
  const store = new HashStore();
  let t = performance.now();
  fill(store, n, kind, next);
  const fillMs = performance.now() - t;
  t = performance.now();
  const mih = new MihIndex(store);
  mih.flush();
  const buildMs = performance.now() - t;
  gc();
  const after = process.memoryUsage();
  const stats = mih.stats();

  const queries = makeQueries(store, n >= 5e6 ? 500 : 1000, next);
  timeQueries(queries.slice(0, 50), (q) => mih.query(q, DISTANCE)); // warm-up
  const mq = timeQueries(queries, (q) => mih.query(q, DISTANCE));
  const brute = new BruteForceIndex(store);
  const bruteQueries = queries.slice(0, n >= 5e6 ? 12 : 40);
  const bq = timeQueries(bruteQueries, (q) => brute.query(q, DISTANCE));
  const agree = bq.results.every((r, i) => JSON.stringify(r) === JSON.stringify(mq.results[i]));

  // Incremental: the same hashes added one at a time (tail, tiers and merges) into a fresh index.
  let incremental: Record<string, number> | undefined;
  if (n <= 2e6) {
    const inc = new MihIndex(new HashStore());
    const words = store.packed(0, n);
    t = performance.now();
    for (let id = 0; id < n; id++) inc.add(new Uint16Array(words.buffer, id * 32, 16));
    incremental = { addOneByOneTotalMs: round(performance.now() - t, 1), tiers: inc.stats().tiers.length };
  }

  const matches = mq.results.reduce((s, r) => s + r.length, 0);
  return {
    n,
    kind,
    fillMs: round(fillMs, 1),
    buildMs: round(buildMs, 1),
    storeMiB: round(stats.storeBytes / MiB, 1),
    indexMiB: round(stats.indexBytes / MiB, 1),
    totalMiB: round((stats.storeBytes + stats.indexBytes) / MiB, 1),
    heapAndBuffersDeltaMiB: round((after.arrayBuffers + after.heapUsed - before.arrayBuffers - before.heapUsed) / MiB, 1),
    maxRssMiB: round(process.resourceUsage().maxRSS / 1024, 1),
    queries: queries.length,
    matchesFound: matches,
    mihQueryMsMedian: round(median(mq.ms), 4),
    mihQueryMsP99: round(quantile(mq.ms, 0.99), 4),
    mihQueryCpuMsMedian: round(median(mq.cpuMs), 4),
    mihQueryCpuMsP99: round(quantile(mq.cpuMs, 0.99), 4),
    bruteQueries: bruteQueries.length,
    bruteQueryMsMedian: round(median(bq.ms), 3),
    bruteQueryMsP99: round(quantile(bq.ms, 0.99), 3),
    speedupMedian: round(median(bq.ms) / median(mq.ms), 1),
    mihEqualsBrute: agree,
    ...(incremental ? { incremental } : {}),
  };
}

const args = process.argv.slice(2);
if (args[0] === "--one") {
  console.log(JSON.stringify(one(Number(args[1]), args[2] as Kind)));
} else {
  const sizes = args.length > 0 ? args.map(Number) : [1_000_000, 10_000_000];
  const rows: Record<string, unknown>[] = [];
  for (const n of sizes) {
    for (const kind of ["random", "clustered"] as const) {
      const out = execFileSync(process.execPath, ["--expose-gc", "--max-old-space-size=4096", fileURLToPath(import.meta.url), "--one", String(n), kind], {
        encoding: "utf8",
        maxBuffer: 1 << 24,
      });
      const row = JSON.parse(out.trim().split("\n").pop()!) as Record<string, unknown>;
      rows.push(row);
      console.log(
        `${String(n).padStart(9)} ${kind.padEnd(9)} build ${row.buildMs} ms  mem ${row.totalMiB} MiB (rss ${row.maxRssMiB})  MIH median ${row.mihQueryMsMedian} ms p99 ${row.mihQueryMsP99} ms (cpu ${row.mihQueryCpuMsMedian} / ${row.mihQueryCpuMsP99})  brute median ${row.bruteQueryMsMedian} ms  (x${row.speedupMedian}, equal=${row.mihEqualsBrute}, matches ${row.matchesFound})`,
      );
    }
  }
  console.log(JSON.stringify({ bench: "pdq-matching", distance: DISTANCE, node: process.version, loadAverage: loadavg().map((x) => round(x, 2)), cpus: cpus().length, referenceCppMihMsAt1M: 2, targets: { at1M: 1, at10M: 5, memoryGiBAt10M: 1.5 }, results: rows }));
}
