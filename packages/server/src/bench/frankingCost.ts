/**
 * The server's per-message franking work (docs/franking.md), timed in isolation: HMAC, Merkle tree and
 * one Ed25519 signature per batch through the real FrankingService, with `batch` messages stamped in each
 * event-loop turn (1 = a message alone, the worst case: a signature of its own). bench:messaging relates
 * it to the server's whole CPU per message.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { FrankingService } from "../franking.js";
import { openSqliteStorage } from "../storage/sqlite.js";

export async function frankingStampMs(iterations = 5000, batch = 1): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "safelight-frank-bench-"));
  const storage = openSqliteStorage(dir);
  try {
    const service = new FrankingService(storage, 24 * 60 * 60 * 1000);
    const tag = new Uint8Array(32).fill(1);
    const context = { senderAccountId: "bench-account-id-000000", groupId: "bench-group-id-00000000", acceptedAt: Date.now(), messageId: "" };
    for (let i = 0; i < 200; i++) await service.stamp(tag, { ...context, messageId: `w${i}` });
    const start = performance.now();
    for (let i = 0; i < iterations; i += batch) {
      const n = Math.min(batch, iterations - i);
      await Promise.all(Array.from({ length: n }, (_, j) => service.stamp(tag, { ...context, messageId: `m${i + j}` })));
    }
    return (performance.now() - start) / iterations;
  } finally {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  }
}
