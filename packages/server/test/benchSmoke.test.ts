// Keeps `npm run bench:messaging` runnable: a tiny run of the real bench (its servers in child processes,
// real MLS messages), checking what it reports, never how fast: timings are the bench's business.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const bench = fileURLToPath(new URL("../dist/bench/messaging.js", import.meta.url));

describe("bench:messaging", () => {
  // The default run also puts PostgreSQL, NATS and Redis on 127.0.0.1 (the bench's defaults) under test.
  it("runs end to end and reports every phase, franking on and off, every backend, in its last JSON line", async () => {
    const args = ["--pairs=2", "--messages=3", "--warmup=1", "--paced=2", "--rounds=2"];
    const { stdout } = await promisify(execFile)(process.execPath, [bench, ...args], { timeout: 120_000, maxBuffer: 1 << 20 });
    const last = JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, any>;
    expect(last.bench).toBe("messaging");
    // 4 clients × 3 saturated messages × 2 rounds through each server (the paced phase is reported apart).
    for (const server of ["safelight", "unfranked", "bareRelay"]) expect(last[server].delivered).toBe(24);
    expect(last.safelight.atTargetLoad.delivered).toBe(16);
    expect(last.franking.observedMessagesPerSignature).toBeGreaterThanOrEqual(1);
    expect(typeof last.franking.throughputCost).toBe("number");
    expect(typeof last.ratio).toBe("number");
    expect(last.harnessNice).toBe(10);
    expect(typeof last.franking.medianRoundThroughputCost).toBe("number");
    expect(last.franking.roundThroughputCost95).toHaveLength(2);
    expect(last.backends.map((b: any) => b.label)).toEqual(["sqlite, 1 node", "postgres, 1 node", "postgres, 2 nodes"]);
    for (const b of last.backends) {
      expect(b.saturated.delivered).toBe(24);
      expect(b.paced.delivered).toBe(16);
      expect(typeof b.vsBaseline.serverCpuPerMsg).toBe("number");
      expect(typeof b.vsBaseline.saturatedServerAndDbCpuPerMsg).toBe("number");
    }
  }, 150_000);
});
