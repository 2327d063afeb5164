// `npm run soak -- --minutes N`: a steady paced load on one Safelight server (SQLite, its own process:
// child.ts) for N minutes, with its memory, open files and storage sampled every few seconds and printed
// as a table, and the linear slope of RSS and heap (MB/min) at the end. Pairs of clients send real MLS
// messages over WebSockets at a fixed rate (relayHarness.ts, paced) while one client uploads an attachment
// every second; blobs expire after --blob-retention-s and delivery records after --report-window-s, and the
// sweeper runs every --sweep-s, so a server that keeps storage bounded shows flat database and blob sizes.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { spawnChild, type Child } from "./deployment.js";
import { parseIntFlags } from "./flags.js";
import { RelayHarness } from "./relayHarness.js";
import { benchEngine, formPair, pool, preEncrypt, registerClients, type BenchClient } from "./setup.js";
import { dirBytes, percentile, round, slope } from "./stats.js";

const DEFAULTS = {
  minutes: { value: 1, min: 1 },
  pairs: { value: 20, min: 1 },
  /** Messages per client per second. */
  rate: { value: 2, min: 1 },
  sampleS: { value: 5, min: 1 },
  blobBytes: { value: 64 * 1024, min: 1 },
  blobRetentionS: { value: 60, min: 1 },
  reportWindowS: { value: 120, min: 1 },
  sweepS: { value: 10, min: 1 },
};

interface Sample {
  atS: number;
  rssMb: number;
  heapMb: number;
  openFiles: number;
  dbMb: number;
  blobMb: number;
}

const MB = 1024 * 1024;

async function sample(child: Child, dataDir: string, t0: number): Promise<Sample> {
  const reply = await child.ask({ cmd: "memory" });
  if (!("memory" in reply)) throw new Error("expected a memory reply");
  return {
    atS: round((performance.now() - t0) / 1000, 0),
    rssMb: round(reply.memory.rss / MB),
    heapMb: round(reply.memory.heapUsed / MB),
    openFiles: reply.openFiles,
    dbMb: round((await dirBytes(dataDir)) / MB, 2), // safelight.db, -wal, -shm and the key files
    blobMb: round((await dirBytes(join(dataDir, "blobs"))) / MB, 2),
  };
}

/** Uploads one attachment per second (rotating through the clients) until stopped; counts the uploads. */
function uploadLoop(base: string, clients: BenchClient[], bytes: number): { stop(): Promise<number> } {
  let running = true;
  let uploaded = 0;
  const body = new Uint8Array(bytes).fill(0xa5);
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const res = await fetch(`${base}/v1/blobs`, {
        method: "POST",
        headers: { authorization: `Bearer ${clients[i % clients.length]!.token}`, "content-type": "application/octet-stream" },
        body,
      });
      if (res.status !== 201) throw new Error(`blob upload refused: ${res.status} ${await res.text()}`);
      uploaded++;
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return uploaded;
    },
  };
}

async function main(): Promise<void> {
  const o = parseIntFlags(process.argv.slice(2), DEFAULTS);
  const dataDir = await mkdtemp(join(tmpdir(), "safelight-soak-"));
  const child = await spawnChild([
    "safelight",
    dataDir,
    JSON.stringify({ sweepIntervalMs: o.sweepS * 1000, blobRetentionMs: o.blobRetentionS * 1000, reportWindowMs: o.reportWindowS * 1000 }),
  ]);
  try {
    const directory = new Map<string, Uint8Array>();
    const engine = await benchEngine(directory);
    const clients = await registerClients(child.url, engine, directory, 2 * o.pairs);
    await pool(
      Array.from({ length: o.pairs }, (_, p) => p),
      8,
      (p) => formPair(child.url, engine, clients[2 * p]!, clients[2 * p + 1]!),
    );
    const perClient = o.minutes * 60 * o.rate;
    for (const c of clients) await preEncrypt(engine, c, perClient, 100);
    const ws = child.url.replace(/^http/, "ws");
    const harness = await RelayHarness.connect(
      clients.map((c, i) => ({ url: `${ws}/v1/ws`, headers: { authorization: `Bearer ${c.token}` }, frames: c.frames, expected: clients[i ^ 1]!.messages, peer: i ^ 1 })),
      { window: 8, ackBatch: 16, ackDelayMs: 5, expectSentReplies: true, stallMs: 30_000 },
    );
    console.log(
      `soak: ${o.minutes} min, ${clients.length} clients × ${o.rate} msg/s (${clients.length * o.rate} msg/s), one ${o.blobBytes / 1024} KiB blob/s; ` +
        `blobs kept ${o.blobRetentionS} s, delivery records ${o.reportWindowS} s, sweep every ${o.sweepS} s`,
    );
    const header = "|  t (s) | RSS MB | heap MB | open fds | db MB | blobs MB |";
    console.log(`${header}\n|${header.slice(1, -1).replace(/[^|]/g, "-")}|`);
    const t0 = performance.now();
    const samples: Sample[] = [];
    const print = (s: Sample) =>
      console.log(
        `| ${String(s.atS).padStart(6)} | ${String(s.rssMb).padStart(6)} | ${String(s.heapMb).padStart(7)} | ${String(s.openFiles).padStart(8)} | ` +
          `${String(s.dbMb).padStart(5)} | ${String(s.blobMb).padStart(8)} |`,
      );
    const take = async () => {
      const s = await sample(child, dataDir, t0);
      samples.push(s);
      print(s);
    };
    await take();
    const ticker = setInterval(() => void take(), o.sampleS * 1000);
    const uploads = uploadLoop(child.url, clients, o.blobBytes);
    const result = await harness.runRange(0, perClient, o.rate);
    clearInterval(ticker);
    const uploaded = await uploads.stop();
    await take();
    await harness.close();
    if (result.mismatches > 0 || result.errors.length > 0) throw new Error(`delivery errors: ${result.mismatches} mismatches, ${result.errors.slice(0, 3).join("; ")}`);
    // The first minute is warm-up (JIT, caches, SQLite pages): the slope is fitted over the rest when there is one.
    const steady = samples.length > 4 && o.minutes > 1 ? samples.filter((s) => s.atS >= 60) : samples;
    const minutes = steady.map((s) => s.atS / 60);
    const sorted = Float64Array.from(result.latenciesMs).sort();
    console.log(
      `delivered ${result.delivered} messages (p50 ${round(percentile(sorted, 50), 1)} ms, p99 ${round(percentile(sorted, 99), 1)} ms), ${uploaded} blobs uploaded; ` +
        `slope over t ≥ ${steady[0]!.atS} s: RSS ${round(slope(minutes, steady.map((s) => s.rssMb)), 2)} MB/min, heap ${round(slope(minutes, steady.map((s) => s.heapMb)), 2)} MB/min, ` +
        `db ${round(slope(minutes, steady.map((s) => s.dbMb)), 3)} MB/min, blobs ${round(slope(minutes, steady.map((s) => s.blobMb)), 3)} MB/min; ` +
        `max open fds ${Math.max(...samples.map((s) => s.openFiles))}, max blobs ${Math.max(...samples.map((s) => s.blobMb))} MB`,
    );
  } finally {
    await child.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
