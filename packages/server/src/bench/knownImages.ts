// `npm run bench:known-images` (build first). Profile-picture checks per second end to end with a
// 1M-hash list loaded: a real server (in this process) on 127.0.0.1, one account uploading every image
// of the PDQ vectors (`$SAFELIGHT_VECTORS`, default <repo>/../shared/vectors) through
// PUT /v1/profile/picture, 4 uploads in flight. The list is 1,000,000 random hashes plus the hash of
// bridge-mods/aaa-orig.jpg, so its near copies are refused (evidence, queue item) and the rest pass.
// Same-run baselines: decode + PDQ alone (no HTTP, no storage), and one MIH query vs a brute-force scan
// of the same 1M hashes. Options: --hashes=N (default 1000000), --seconds=S (default 20), --inflight=K.
// The last line printed is one JSON object. Method and results: docs/benchmarks.md#known-image-checks.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { BruteForceIndex, hammingDistance, hashImage, hashToHex, HashStore } from "@safelight/pdq";
import { decodeImage, hashFile } from "@safelight/pdq/node";
import { generateDeviceKeys, signChallenge, toB64 } from "@safelight/protocol";
import { HashListService } from "../detection/hashLists.js";
import { startServer } from "../start.js";
import type { ListEntryRow } from "../storage/detection.js";
import { openSqliteStorage } from "../storage/sqlite.js";
import { call, numberArg } from "./setup.js";
import { round } from "./stats.js";

const HASHES = numberArg("hashes", 1_000_000);
const SECONDS = numberArg("seconds", 15);
const INFLIGHT = numberArg("inflight", 4);

const repo = fileURLToPath(new URL("../../../../", import.meta.url));
const vectors = process.env.SAFELIGHT_VECTORS ? resolve(process.env.SAFELIGHT_VECTORS) : resolve(repo, "../shared/vectors");
const imageDir = join(vectors, "pdq", "images");
if (!existsSync(imageDir)) throw new Error(`PDQ images not found at ${imageDir}: set SAFELIGHT_VECTORS`);

function listImages(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((p) => statSync(p).isFile() && /\.(jpe?g|png|webp)$/i.test(p))
    .sort();
}

function typeOf(path: string): string {
  return path.endsWith(".png") ? "image/png" : path.endsWith(".webp") ? "image/webp" : "image/jpeg";
}

/** Deterministic pseudo-random 32-byte hashes. */
function* randomHashes(n: number): Generator<Uint8Array> {
  let state = createHash("sha256").update("safelight-bench").digest();
  for (let i = 0; i < n; i++) {
    state = createHash("sha256").update(state).digest();
    yield new Uint8Array(state);
  }
}

const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
// Seconds are per phase (clean, mixed).
const q = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "safelight-bench-known-"));
  const dataDir = join(dir, "server");
  try {
    const images = listImages(imageDir).map((path) => ({ path, type: typeOf(path), bytes: new Uint8Array(readFileSync(path)) }));
    const origHash = (await hashFile(join(imageDir, "bridge-mods", "aaa-orig.jpg"))).hash;
    const orig = hashToHex(origHash);

    // 1. The list, written to the server's database before it starts (untimed for throughput).
    const storage = openSqliteStorage(dataDir);
    const entries: ListEntryRow[] = [{ hash: new Uint8Array(Buffer.from(orig, "hex")), entryId: "bench-orig", label: "bench" }];
    for (const h of randomHashes(HASHES)) entries.push({ hash: h, entryId: undefined, label: undefined });
    let t = performance.now();
    await storage.detection.insertList(
      { listId: "bench", name: "bench 1M", sourceOrg: "bench", threshold: 31, status: "active", hashCount: entries.length, distinctCount: entries.length, importedBy: "bench", importedAt: Date.now(), retiredBy: undefined, retiredAt: undefined, replaces: undefined },
      entries,
    );
    const insertMs = performance.now() - t;
    await storage.close();

    // 2. Start: the server loads the list into its MIH index.
    t = performance.now();
    const server = await startServer({ dataDir, host: "127.0.0.1", port: 0, logger: false, handleSignals: false, pictureCheckWaitMs: 60_000, limits: { rateBurst: 1e9, ratePerSecond: 1e9 } });
    const startMs = performance.now() - t;
    const rssAfterLoad = process.memoryUsage().rss;
    const base = server.url;

    const keys = generateDeviceKeys();
    const { challenge } = await call<{ challenge: string }>(base, "POST", "/v1/auth/challenge", {});
    const session = await call<{ token: string }>(base, "POST", "/v1/accounts", {
      name: "bench_uploader",
      birthdate: "1990-01-01",
      signatureKey: toB64(keys.publicKey),
      challenge,
      signature: toB64(signChallenge(keys, "register", challenge)),
    });

    // 3. End to end: upload for SECONDS, INFLIGHT at a time, cycling through the images. Phase "clean":
    // only images that match nothing (every check decodes and hashes: the common case). Phase "mixed":
    // all vector images, most of them near copies of the listed one (refusal, evidence, queue item;
    // repeats of refused bytes take the SHA-256 shortcut).
    const phase = async (set: typeof images) => {
      const latencies: number[] = [];
      const verdicts = { ok: 0, refused: 0, other: 0 };
      let next = 0;
      const until = performance.now() + SECONDS * 1000;
      const cpu0 = process.cpuUsage();
      const start = performance.now();
      await Promise.all(
        Array.from({ length: INFLIGHT }, async () => {
          while (performance.now() < until) {
            const img = set[next++ % set.length]!;
            const t0 = performance.now();
            const res = await fetch(`${base}/v1/profile/picture`, { method: "PUT", headers: { authorization: `Bearer ${session.token}`, "content-type": img.type }, body: img.bytes });
            await res.arrayBuffer();
            latencies.push(performance.now() - t0);
            if (res.status === 200) verdicts.ok++;
            else if (res.status === 422) verdicts.refused++;
            else verdicts.other++;
          }
        }),
      );
      const elapsed = (performance.now() - start) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const s = sorted(latencies);
      return {
        images: set.length,
        seconds: round(elapsed, 1),
        uploads: latencies.length,
        checksPerSecond: round(latencies.length / elapsed, 1),
        ...verdicts,
        latencyMs: { p50: round(q(s, 0.5), 1), p90: round(q(s, 0.9), 1), p99: round(q(s, 0.99), 1) },
        cpuSecondsPerCheck: round((cpu.user + cpu.system) / 1e6 / latencies.length, 4),
      };
    };
    const clean = [];
    for (const img of images) {
      const h = hashImage(await decodeImage(img.bytes)).hash;
      if (hammingDistance(h, origHash) > 31) clean.push(img);
    }
    const cleanPhase = await phase(clean);
    const mixedPhase = await phase(images);
    await server.close();

    // 4. Baselines, same run: decode + hash alone over the same images; MIH query vs brute force at 1M.
    const hashRate = async (set: typeof images) => {
      let hashed = 0;
      const hashStart = performance.now();
      while (performance.now() - hashStart < Math.min(10, SECONDS / 2) * 1000) hashImage(await decodeImage(set[hashed++ % set.length]!.bytes));
      return hashed / ((performance.now() - hashStart) / 1000);
    };
    const cleanHashPerSec = await hashRate(clean);
    const allHashPerSec = await hashRate(images);

    const listStorage = openSqliteStorage(dataDir);
    const lists = new HashListService(listStorage.detection);
    await lists.reload();
    const probe = (await hashFile(join(imageDir, "bridge-mods", "blur-a-lot.jpg"))).hash;
    let queries = 0;
    const qStart = performance.now();
    while (performance.now() - qStart < 2000) {
      await lists.match(probe);
      queries++;
    }
    const mihMs = (performance.now() - qStart) / queries;
    const brute = new BruteForceIndex(new HashStore());
    for (const e of entries) brute.add(Uint16Array.from({ length: 16 }, (_, w) => (e.hash[30 - 2 * w]! << 8) | e.hash[31 - 2 * w]!));
    const bStart = performance.now();
    const bruteMatches = brute.query(probe, 31).length;
    const bruteMs = performance.now() - bStart;
    await listStorage.close();

    const result = {
      bench: "known-images",
      listHashes: entries.length,
      inflight: INFLIGHT,
      checksPerSecond: cleanPhase.checksPerSecond,
      clean: cleanPhase,
      mixed: mixedPhase,
      baselineHashPerSecond: { clean: round(cleanHashPerSec, 1), all: round(allHashPerSec, 1) },
      mihQueryMs: round(mihMs, 3),
      bruteForceQueryMs: round(bruteMs, 1),
      bruteForceMatches: bruteMatches,
      listInsertSeconds: round(insertMs / 1000, 1),
      serverStartSeconds: round(startMs / 1000, 1),
      rssAfterLoadMiB: Math.round(rssAfterLoad / 1048576),
      cpus: cpus().length,
      loadavg: loadavg().map((l) => round(l, 1)),
    };
    console.log(`list: ${entries.length} hashes, inserted in ${result.listInsertSeconds} s; server start (index build) ${result.serverStartSeconds} s; RSS ${result.rssAfterLoadMiB} MiB`);
    for (const [name, r] of [["clean", cleanPhase], ["mixed", mixedPhase]] as const) {
      console.log(`end to end (${name}, ${r.images} images): ${r.uploads} uploads in ${r.seconds} s = ${r.checksPerSecond} checks/s (${r.ok} ok, ${r.refused} refused, ${r.other} other); latency p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms; ${r.cpuSecondsPerCheck} CPU s/check`);
    }
    console.log(`baseline: decode + PDQ alone ${result.baselineHashPerSecond.clean} images/s (clean set), ${result.baselineHashPerSecond.all} (all); MIH query ${result.mihQueryMs} ms vs brute force ${result.bruteForceQueryMs} ms (${bruteMatches} match(es))`);
    console.log(JSON.stringify(result));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
