// Child-process entry for `npm run bench:messaging`: runs either the Safelight server or the bare relay
// so the server under test never shares an event loop with the 200-client harness. IPC protocol: the
// child sends {url} once listening; the parent sends {cmd:"cpu"} (answered {cpu}), {cmd:"memory"}
// (answered {memory, openFiles}: process.memoryUsage() and the /proc/self/fd count, for `npm run soak`), {cmd:"prof-start"} /
// {cmd:"prof-stop", path} (V8 CPU profile of just the measured rounds, answered {done}),
// {cmd:"franking", on} (Safelight only: franking on or off, see switchableFranking.ts; answered {done})
// and {cmd:"stop"} (the child closes and exits 0). argv: `safelight <dataDir> [<ServerOptions as JSON>]`
// (the backend: PostgreSQL, NATS, Redis; default SQLite in dataDir) or `bare`.
import { performance } from "node:perf_hooks";
import { readdir, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { openStorage } from "../backends.js";
import { resolveConfig, type ServerOptions } from "../config.js";
import { startServer } from "../start.js";
import { startBareRelay } from "./bareRelay.js";
import { BENCH_LIMITS } from "./options.js";
import { SwitchableFranking } from "./switchableFranking.js";

export type ChildRequest =
  | { cmd: "cpu" }
  | { cmd: "memory" }
  | { cmd: "stop" }
  | { cmd: "prof-start" }
  | { cmd: "prof-stop"; path: string }
  | { cmd: "franking"; on: boolean };
export type ChildReply =
  | { url: string }
  | { cpu: NodeJS.CpuUsage; loopActiveMs: number }
  | { memory: NodeJS.MemoryUsage; openFiles: number }
  | { done: true };

async function main(): Promise<void> {
  const [kind, dataDir, backendJson] = process.argv.slice(2);
  const send = (msg: ChildReply) => process.send?.(msg);
  let close: () => Promise<void>;
  let franking: SwitchableFranking | undefined;
  if (kind === "safelight" && dataDir !== undefined) {
    // Logging off: the timed phase would log nothing anyway (no per-frame logs on /v1/ws), and setup
    // requests would only fill a pipe nobody reads.
    const backend = JSON.parse(backendJson ?? "{}") as ServerOptions;
    const storage = await openStorage(resolveConfig({ ...backend, dataDir }));
    franking = new SwitchableFranking(storage, 24 * 60 * 60 * 1000);
    const server = await startServer({
      ...backend,
      storage,
      franking,
      dataDir,
      host: "127.0.0.1",
      port: 0,
      handleSignals: false,
      logger: false,
      limits: BENCH_LIMITS,
    });
    close = server.close;
    send({ url: server.url });
  } else if (kind === "bare") {
    const relay = await startBareRelay();
    close = relay.close;
    send({ url: relay.url });
  } else {
    throw new Error("usage: child.js safelight <dataDir> [<options JSON>] | bare");
  }
  let session: Session | undefined;
  const stop = async () => {
    await close();
    process.exit(0);
  };
  process.on("message", (msg: ChildRequest) => {
    void (async () => {
      if (msg.cmd === "cpu") send({ cpu: process.cpuUsage(), loopActiveMs: performance.eventLoopUtilization().active });
      else if (msg.cmd === "memory") send({ memory: process.memoryUsage(), openFiles: (await readdir("/proc/self/fd")).length });
      else if (msg.cmd === "franking" && franking !== undefined) {
        await franking.setEnabled(msg.on);
        send({ done: true });
      }
      else if (msg.cmd === "stop") await stop();
      else if (msg.cmd === "prof-start") {
        session = new Session();
        session.connect();
        await session.post("Profiler.enable");
        await session.post("Profiler.setSamplingInterval", { interval: 200 });
        await session.post("Profiler.start");
        send({ done: true });
      } else if (msg.cmd === "prof-stop" && session !== undefined) {
        const { profile } = await session.post("Profiler.stop");
        await writeFile(msg.path, JSON.stringify(profile));
        session.disconnect();
        session = undefined;
        send({ done: true });
      }
    })();
  });
  process.on("disconnect", () => void stop());
}

if (process.send !== undefined) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
