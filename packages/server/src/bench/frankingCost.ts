/**
 * The server's per-message franking work (docs/franking.md), timed in isolation through the real
 * FrankingService: HMAC, Merkle leaf and tree, one Ed25519 signature per batch, with `batch` messages
 * stamped in each event-loop turn (1 = a message alone, the worst case: a signature of its own).
 * Measured as the process's CPU time (user + system, so garbage collection counts), not wall time.
 * bench:messaging prints it beside its main franking figure, Safelight with and without franking.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FrankingService } from "../franking.js";
import { openSqliteStorage } from "../storage/sqlite.js";

/** CPU milliseconds per stamped message. */
export async function frankingCpuMs(iterations = 5000, batch = 1): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "safelight-frank-bench-"));
  const storage = openSqliteStorage(dir);
  try {
    const service = new FrankingService(storage, 24 * 60 * 60 * 1000);
    const tag = new Uint8Array(32).fill(1);
    const context = { senderAccountId: "bench-account-id-000000", groupId: "bench-group-id-00000000", acceptedAt: Date.now(), messageId: "" };
    const run = async (n: number, prefix: string) => {
      for (let i = 0; i < n; i += batch) {
        const size = Math.min(batch, n - i);
        // As the server does it (delivery.ts): reserve each message's stamp as it arrives, then settle
        // them in the same turn (the group commit's check), which signs the batch once.
        const tickets = await Promise.all(Array.from({ length: size }, (_, j) => service.reserve(tag, { ...context, messageId: `${prefix}${i + j}` })));
        for (const ticket of tickets) ticket.settle();
      }
    };
    await run(Math.min(iterations, 2000), "w"); // JIT and the key's first use
    const before = process.cpuUsage();
    await run(iterations, "m");
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000 / iterations;
  } finally {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  }
}
