// `npm run bench:sockets -- --sockets 2000`: memory per idle WebSocket on one Safelight server (its own
// process, child.ts). Opens the sockets in batches from 20 devices, waits for the server to settle, and
// prints the server's RSS and heap before and after, and the difference per socket; the same with no
// sockets opened, sampled twice, is the baseline (how much memory moves by itself meanwhile).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { spawnChild, type Child } from "./deployment.js";
import { parseIntFlags } from "./flags.js";
import { benchEngine, registerClients } from "./setup.js";
import { round } from "./stats.js";

const MB = 1024 * 1024;

async function memory(child: Child): Promise<{ rss: number; heap: number; openFiles: number }> {
  await new Promise((r) => setTimeout(r, 2000)); // let the server settle (handshakes, timers)
  const reply = await child.ask({ cmd: "memory" });
  if (!("memory" in reply)) throw new Error("expected a memory reply");
  return { rss: reply.memory.rss, heap: reply.memory.heapUsed, openFiles: reply.openFiles };
}

async function main(): Promise<void> {
  const o = parseIntFlags(process.argv.slice(2), { sockets: { value: 2000, min: 1 } });
  const dataDir = await mkdtemp(join(tmpdir(), "safelight-sockets-"));
  const child = await spawnChild(["safelight", dataDir]); // child.ts lifts the rate limits (BENCH_LIMITS)
  const sockets: WebSocket[] = [];
  try {
    const clients = await registerClients(child.url, await benchEngine(new Map()), new Map(), 20);
    const idle0 = await memory(child);
    const idle1 = await memory(child);
    const ws = child.url.replace(/^http/, "ws");
    for (let i = 0; i < o.sockets; i += 100) {
      const batch = Array.from({ length: Math.min(100, o.sockets - i) }, (_, k) => new WebSocket(`${ws}/v1/ws`, { headers: { authorization: `Bearer ${clients[(i + k) % 20]!.token}` } }));
      sockets.push(...batch);
      await Promise.all(batch.map((s) => new Promise((open, fail) => s.once("open", open).once("error", fail))));
    }
    const held = await memory(child);
    const open = sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
    const per = (a: number, b: number) => round((b - a) / o.sockets / 1024, 1);
    console.log(
      `${open}/${o.sockets} WebSockets held (server open files ${idle1.openFiles} → ${held.openFiles}); server RSS ${round(idle1.rss / MB)} → ${round(held.rss / MB)} MB, ` +
        `heap ${round(idle1.heap / MB)} → ${round(held.heap / MB)} MB: ${per(idle1.rss, held.rss)} KiB RSS and ${per(idle1.heap, held.heap)} KiB heap per socket; ` +
        `baseline (no sockets, 2 s apart): RSS ${round((idle1.rss - idle0.rss) / MB, 2)} MB, heap ${round((idle1.heap - idle0.heap) / MB, 2)} MB`,
    );
  } finally {
    for (const s of sockets) s.terminate();
    await child.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
