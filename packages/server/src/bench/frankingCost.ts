/**
 * The server's per-message franking work (docs/franking.md), timed in isolation through the real
 * FrankingService: HMAC, Merkle leaf and tree, one Ed25519 signature per batch, with `batch` messages
 * stamped in each event-loop turn (1 = a message alone, the worst case: a signature of its own).
 * Two figures per message: the process's CPU time (user + system of every thread, so the franking
 * worker and garbage collection count) and the event loop's busy time (what franking takes from the
 * thread that serves sockets and storage, which is what bounds throughput). bench:messaging relates
 * both to the server's CPU per message.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { FrankingService } from "../franking.js";
import { openSqliteStorage } from "../storage/sqlite.js";

export interface FrankingCost {
  /** CPU milliseconds per stamped message, all threads. */
  cpuMs: number;
  /** Event-loop busy milliseconds per stamped message. */
  loopMs: number;
}

export async function frankingCost(iterations = 5000, batch = 1): Promise<FrankingCost> {
  const dir = await mkdtemp(join(tmpdir(), "safelight-frank-bench-"));
  const storage = openSqliteStorage(dir);
  try {
    const service = new FrankingService(storage, 24 * 60 * 60 * 1000);
    const tag = new Uint8Array(32).fill(1);
    const context = { senderAccountId: "bench-account-id-000000", groupId: "bench-group-id-00000000", acceptedAt: Date.now(), messageId: "" };
    const run = async (n: number, prefix: string) => {
      for (let i = 0; i < n; i += batch) {
        const size = Math.min(batch, n - i);
        await Promise.all(Array.from({ length: size }, (_, j) => service.stamp(tag, { ...context, messageId: `${prefix}${i + j}` })));
      }
    };
    await run(Math.min(iterations, 2000), "w"); // JIT and the key's first use
    const before = process.cpuUsage();
    const loopBefore = performance.eventLoopUtilization();
    await run(iterations, "m");
    const loop = performance.eventLoopUtilization(loopBefore);
    const used = process.cpuUsage(before);
    return { cpuMs: (used.user + used.system) / 1000 / iterations, loopMs: loop.active / iterations };
  } finally {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  }
}
