/**
 * The server's per-message franking work (docs/franking.md), timed in isolation: HMAC + Ed25519 stamp
 * through the real FrankingService. bench:messaging relates it to the server's whole CPU per message.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { FrankingService } from "../franking.js";
import { openSqliteStorage } from "../storage/sqlite.js";

export async function frankingStampMs(iterations = 5000): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "safelight-frank-bench-"));
  const storage = openSqliteStorage(dir);
  try {
    const service = new FrankingService(storage, 24 * 60 * 60 * 1000);
    const tag = new Uint8Array(32).fill(1);
    const context = { senderAccountId: "bench-account-id-000000", groupId: "bench-group-id-00000000", acceptedAt: Date.now(), messageId: "" };
    for (let i = 0; i < 200; i++) await service.stamp(tag, { ...context, messageId: `w${i}` });
    const start = performance.now();
    for (let i = 0; i < iterations; i++) await service.stamp(tag, { ...context, messageId: `m${i}` });
    return (performance.now() - start) / iterations;
  } finally {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  }
}
