// `npm run bench:messaging` (build first: `npm run build`). 2 × pairs clients exchange real MLS
// application messages through the Safelight server (SQLite storage, auth, queues) over `/v1/ws`,
// and, in the same run with the same client harness and frames, through a bare `ws` relay (no
// storage, no auth, no JSON) as the ceiling; and, to measure franking's cost, through the same Safelight
// server with franking switched off (a stored stamp handed back instead, see switchableFranking.ts), the
// franked and unfranked phases alternating in order round by round. Each server runs in its own child
// process; the clients run in this one. Everything is on 127.0.0.1. The last line printed is one JSON object.
// Options: see options.ts (argv `--messages=50` or env `BENCH_MESSAGES=50`). Method: docs/benchmarks.md.
import { fork, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { cpus, loadavg, setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { fromB64, processIncoming } from "@safelight/protocol";
import type { ChildReply, ChildRequest } from "./child.js";
import { frankingCpuMs } from "./frankingCost.js";
import { BENCH_LIMITS, parseOptions, type BenchOptions } from "./options.js";
import { RelayHarness, type HarnessClient, type RangeResult } from "./relayHarness.js";
import { benchEngine, formPair, payload, pool, preEncrypt, registerClients, type BenchClient } from "./setup.js";
import { concatSorted, meanAndHalfWidth, median, percentile, round } from "./stats.js";

const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 250;

interface Child {
  url: string;
  proc: ChildProcess;
  ask(req: ChildRequest): Promise<ChildReply>;
  stop(): Promise<void>;
}

async function spawnChild(args: string[]): Promise<Child> {
  const proc = fork(fileURLToPath(new URL("./child.js", import.meta.url)), args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const replies: ((r: ChildReply) => void)[] = [];
  const first = new Promise<ChildReply>((resolve, reject) => {
    replies.push(resolve);
    proc.once("exit", (code) => reject(new Error(`${args[0]} child exited with ${code}`)));
  });
  proc.on("message", (msg: ChildReply) => replies.shift()?.(msg));
  const hello = await first;
  if (!("url" in hello)) throw new Error("child did not report its url");
  return {
    url: hello.url,
    proc,
    // A child that dies mid-question (say, it could not write a profile) fails the bench instead of hanging it.
    ask: (req) =>
      new Promise<ChildReply>((resolve, reject) => {
        if (proc.exitCode !== null) return reject(new Error(`${args[0]} child exited with ${proc.exitCode}`));
        const died = (code: number | null) => reject(new Error(`${args[0]} child exited with ${code} while asked ${req.cmd}`));
        proc.once("exit", died);
        replies.push((reply) => {
          proc.off("exit", died);
          resolve(reply);
        });
        proc.send(req);
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.send({ cmd: "stop" } satisfies ChildRequest);
      }),
  };
}

/** The server process's CPU time (all its threads) and its event loop's active time, in ms so far. */
async function serverTimes(child: Child): Promise<{ cpuMs: number; loopMs: number }> {
  const reply = await child.ask({ cmd: "cpu" });
  if (!("cpu" in reply)) throw new Error("expected a cpu reply");
  return { cpuMs: (reply.cpu.user + reply.cpu.system) / 1000, loopMs: reply.loopActiveMs };
}

const ownCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface RelayTotals {
  results: RangeResult[];
  serverCpuMs: number;
  /** Time the server's event loop was not waiting for I/O (performance.eventLoopUtilization). */
  serverLoopMs: number;
  harnessCpuMs: number;
}

/** `unfranked`: the same Safelight server with franking switched off (SwitchableFranking), to measure
 *  what franking costs in throughput in the same run. */
type RelayKind = "bareRelay" | "safelight" | "unfranked";

function harnessClients(kind: RelayKind, baseUrl: string, clients: BenchClient[]): HarnessClient[] {
  const ws = baseUrl.replace(/^http/, "ws");
  return clients.map((c, i) => {
    const peer = i % 2 === 0 ? i + 1 : i - 1;
    const peerClient = clients[peer] as BenchClient;
    return kind !== "bareRelay"
      ? { url: `${ws}/v1/ws`, headers: { authorization: `Bearer ${c.token}` }, frames: c.frames, expected: peerClient.messages, peer }
      : { url: `${ws}/relay?pair=${i >> 1}&side=${i % 2}`, headers: {} as Record<string, string>, frames: c.frames, expected: peerClient.messages, peer };
  });
}

interface Phase {
  from: number;
  warmup: number;
  count: number;
  /** Open loop at this rate per client; undefined = saturate with the window. */
  pacedPerClientPerSec?: number;
}

async function runPhase(
  kind: RelayKind,
  child: Child,
  clients: BenchClient[],
  opts: BenchOptions,
  phase: Phase,
  totals: RelayTotals,
  profilePath?: string,
): Promise<RangeResult> {
  const harness = await RelayHarness.connect(harnessClients(kind, child.url, clients), {
    window: opts.window,
    ackBatch: opts.ackBatch,
    ackDelayMs: opts.ackDelayMs,
    expectSentReplies: kind !== "bareRelay",
    stallMs: 30_000,
  });
  const { from, warmup, count } = phase;
  if (warmup > 0) check(kind, await harness.runRange(from, from + warmup), clients.length * warmup);
  if (profilePath !== undefined) await child.ask({ cmd: "prof-start" });
  const serverBefore = await serverTimes(child);
  const harnessBefore = ownCpuMs();
  const result = await harness.runRange(from + warmup, from + warmup + count, phase.pacedPerClientPerSec);
  totals.harnessCpuMs += ownCpuMs() - harnessBefore;
  const serverAfter = await serverTimes(child);
  totals.serverCpuMs += serverAfter.cpuMs - serverBefore.cpuMs;
  totals.serverLoopMs += serverAfter.loopMs - serverBefore.loopMs;
  if (profilePath !== undefined) {
    await child.ask({ cmd: "prof-stop", path: profilePath });
    console.log(`  cpu profile of the server: ${profilePath}`);
  }
  check(kind, result, clients.length * count);
  if (harness.strayFrames > 0) throw new Error(`${kind}: ${harness.strayFrames} frames arrived outside a run`);
  await harness.close();
  totals.results.push(result);
  return result;
}

function check(kind: RelayKind, r: RangeResult, expected: number): void {
  if (r.errors.length > 0) throw new Error(`${kind}: ${r.errors.length} errors, first: ${r.errors[0]}`);
  if (r.mismatches > 0) throw new Error(`${kind}: ${r.mismatches} deliveries did not match what the peer sent`);
  if (r.delivered !== expected) throw new Error(`${kind}: delivered ${r.delivered} of ${expected}`);
}

function summarise(t: RelayTotals) {
  const delivered = t.results.reduce((n, r) => n + r.delivered, 0);
  const elapsedMs = t.results.reduce((n, r) => n + r.elapsedMs, 0);
  const sorted = concatSorted(t.results.map((r) => r.latenciesMs));
  return {
    delivered,
    seconds: round(elapsedMs / 1000, 3),
    msgsPerSec: round(delivered / (elapsedMs / 1000), 0),
    p50Ms: round(percentile(sorted, 50), 2),
    p99Ms: round(percentile(sorted, 99), 2),
    maxMs: round(percentile(sorted, 100), 2),
    perRoundMsgsPerSec: t.results.map((r) => round(r.delivered / (r.elapsedMs / 1000), 0)),
    serverCpuMsPerMsg: round(t.serverCpuMs / delivered, 4),
    serverCpuUtilisation: round(t.serverCpuMs / elapsedMs, 2),
    serverLoopMsPerMsg: round(t.serverLoopMs / delivered, 4),
    harnessCpuUtilisation: round(t.harnessCpuMs / elapsedMs, 2),
  };
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) {
    const s = await stat(join(dir, name));
    if (s.isFile()) total += s.size;
  }
  return total;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2), process.env);
  if (opts.profileDir !== undefined) await mkdir(opts.profileDir, { recursive: true });
  const nClients = opts.pairs * 2;
  const perClient = opts.rounds * (opts.warmup + opts.messages + opts.paced);
  const cpu = cpus();
  const loadStart = loadavg().map((l) => round(l, 2));
  console.log(
    `bench:messaging — ${nClients} clients (${opts.pairs} pairs); per client per round: ${opts.warmup} warmup, ` +
      `${opts.messages} saturated, ${opts.paced} paced at ${opts.pacedFraction} × the bare relay's rate`,
  );
  console.log(
    `  ${opts.rounds} round(s) of bare relay then Safelight; window ${opts.window}; ` +
      `acks every ${opts.ackBatch} items or ${opts.ackDelayMs} ms; payload ${opts.payloadBytes} B`,
  );
  console.log(`  node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? "?"}, load average ${loadStart.join(" ")}`);
  console.log(`  servers: each in its own child process on 127.0.0.1; Safelight rate limits raised to ${BENCH_LIMITS.rateBurst} so the bench does not throttle itself`);
  console.log(`  clients: one process at nice ${opts.harnessNice} (--harness-nice), so it does not preempt the servers`);

  const dataDir = await mkdtemp(join(tmpdir(), "safelight-bench-"));
  const safelight = await spawnChild(["safelight", dataDir]);
  const bare = await spawnChild(["bare"]);
  // Only now: the children inherit the nice value they are forked with.
  setPriority(opts.harnessNice);
  try {
    // --- setup (untimed) -----------------------------------------------------------------------
    let t = performance.now();
    const directory = new Map<string, Uint8Array>();
    const engine = await benchEngine(directory);
    const clients = await registerClients(safelight.url, engine, directory, nClients);
    const tRegister = performance.now() - t;
    t = performance.now();
    const pairs = Array.from({ length: opts.pairs }, (_, p) => ({ a: clients[2 * p] as BenchClient, b: clients[2 * p + 1] as BenchClient }));
    await pool(pairs, 8, (p) => formPair(safelight.url, engine, p.a, p.b));
    const tGroups = performance.now() - t;
    t = performance.now();
    for (const c of clients) await preEncrypt(engine, c, perClient, opts.payloadBytes);
    const tEncrypt = performance.now() - t;
    const frameBytes = Buffer.byteLength(clients[0]?.frames[0] ?? "");
    // The messages are real: the peer of pair 0 decrypts the first one (its state is not used again).
    const a0 = clients[0] as BenchClient;
    const b0 = clients[1] as BenchClient;
    const opened = await processIncoming(engine, b0.state!, fromB64(a0.messages[0] as string) as Uint8Array);
    const sent = payload(opts.payloadBytes, "m0.0 ");
    if (opened.kind !== "application" || !Buffer.from(opened.plaintext).equals(Buffer.from(sent))) {
      throw new Error("pre-encrypted message did not decrypt to the expected text");
    }
    console.log(
      `setup (untimed): register + key packages ${round(tRegister / 1000, 1)} s, ${opts.pairs} MLS groups ${round(tGroups / 1000, 1)} s, ` +
        `${nClients * perClient} PrivateMessages pre-encrypted in ${round(tEncrypt / 1000, 1)} s; ` +
        `send frame ${frameBytes} B (MLS message ${fromB64(a0.messages[0] as string)?.length} B); sample decrypts OK`,
    );

    // --- measured rounds -----------------------------------------------------------------------
    const newTotals = (): RelayTotals => ({ results: [], serverCpuMs: 0, serverLoopMs: 0, harnessCpuMs: 0 });
    const saturated: Record<RelayKind, RelayTotals> = { bareRelay: newTotals(), safelight: newTotals(), unfranked: newTotals() };
    const paced: Record<RelayKind, RelayTotals> = { bareRelay: newTotals(), safelight: newTotals(), unfranked: newTotals() };
    const offered: number[] = [];
    const perRound = opts.warmup + opts.messages + opts.paced;
    const servers = [["bareRelay", bare], ["safelight", safelight]] as const;
    const setFranking = async (kind: RelayKind) => {
      if (kind !== "bareRelay") await safelight.ask({ cmd: "franking", on: kind === "safelight" });
    };
    const line = (r: number, what: string, res: RangeResult) => {
      const sorted = concatSorted([res.latenciesMs]);
      console.log(
        `  round ${r + 1} ${what}: ${res.delivered} msgs in ${round(res.elapsedMs / 1000, 3)} s = ` +
          `${round(res.delivered / (res.elapsedMs / 1000), 0)} msgs/s, p50 ${round(percentile(sorted, 50), 2)} ms, ` +
          `p99 ${round(percentile(sorted, 99), 2)} ms`,
      );
    };
    // One untimed saturated pass of each Safelight arm first (round 1's frames; the server stores what it
    // is sent again): the first phase of a run is the slowest (JIT, database growth), and it would
    // otherwise always be the franked one.
    for (const kind of ["safelight", "unfranked"] as const) {
      await setFranking(kind);
      await runPhase(kind, safelight, clients, opts, { from: 0, warmup: 0, count: opts.warmup + opts.messages }, newTotals());
    }
    for (let r = 0; r < opts.rounds; r++) {
      const base = r * perRound;
      let bareRate = 0;
      // The franked and unfranked Safelight phases send the same frames; their order alternates by round.
      const saturatedPhases: [RelayKind, Child][] = [
        ["bareRelay", bare],
        ...(r % 2 === 0 ? (["safelight", "unfranked"] as const) : (["unfranked", "safelight"] as const)).map((k): [RelayKind, Child] => [k, safelight]),
      ];
      for (const [kind, child] of saturatedPhases) {
        await setFranking(kind);
        const profilePath =
          kind !== "bareRelay" && opts.profileDir !== undefined ? join(opts.profileDir, `${kind}-saturated-r${r + 1}-${Date.now()}.cpuprofile`) : undefined;
        const res = await runPhase(kind, child, clients, opts, { from: base, warmup: opts.warmup, count: opts.messages }, saturated[kind], profilePath);
        if (kind === "bareRelay") bareRate = res.delivered / (res.elapsedMs / 1000);
        line(r, `${kind.padEnd(9)} saturated`, res);
      }
      if (opts.paced === 0) continue;
      const rate = opts.pacedFraction * bareRate;
      offered.push(rate);
      for (const [kind, child] of servers) {
        await setFranking(kind);
        const phase = { from: base + opts.warmup + opts.messages, warmup: 0, count: opts.paced, pacedPerClientPerSec: rate / nClients };
        line(r, `${kind.padEnd(9)} paced at ${round(rate, 0)} msgs/s`, await runPhase(kind, child, clients, opts, phase, paced[kind]));
      }
    }
    const s = summarise(saturated.safelight);
    const b = summarise(saturated.bareRelay);
    const u = summarise(saturated.unfranked);
    // Franking's cost in relay throughput, same server and frames with franking on and off.
    const frankingThroughputCost = round(1 - s.msgsPerSec / u.msgsPerSec, 3);
    // The same per round: each round's two Safelight phases run back to back, so their ratio is a paired
    // measurement; the median of the rounds shrugs off a round that a noisy neighbour slowed.
    const perRoundCost = s.perRoundMsgsPerSec.map((rate, i) => 1 - rate / u.perRoundMsgsPerSec[i]!);
    const medianRoundCost = round(median(perRoundCost), 3);
    // How far the rounds scatter: mean ± 1.96 standard errors (a normal approximation; rounds run minutes
    // apart on a shared machine are not independent, so read it as a lower bound on the uncertainty).
    const roundSpread = meanAndHalfWidth(perRoundCost);
    const frankingCpuUsPerMsg = round((s.serverCpuMsPerMsg - u.serverCpuMsPerMsg) * 1000, 1);
    const frankingLoopUsPerMsg = round((s.serverLoopMsPerMsg - u.serverLoopMsPerMsg) * 1000, 1);
    const ps = paced.safelight.results.length > 0 ? summarise(paced.safelight) : undefined;
    const pb = paced.bareRelay.results.length > 0 ? summarise(paced.bareRelay) : undefined;
    const offeredMsgsPerSec = round(offered.reduce((x, y) => x + y, 0) / Math.max(1, offered.length), 0);
    const ratio = round(s.msgsPerSec / b.msgsPerSec, 3);
    // Load-independent companion of the ratio: bare relay CPU per message ÷ Safelight CPU per message.
    const serverCpuRatio = round(b.serverCpuMsPerMsg / s.serverCpuMsPerMsg, 3);
    const meetsTarget = ratio >= TARGET_RATIO && ps !== undefined && ps.p99Ms < TARGET_P99_MS;
    // Franking timed alone, beside the same-run comparison above: a message alone (a signature of its own)
    // and at the mean batch (messages per signature) the clients saw in the saturated run.
    const batches = saturated.safelight.results.reduce((n, r) => n + r.frankBatches, 0);
    const observedBatch = batches > 0 ? s.delivered / batches : 1;
    const aloneUs = round((await frankingCpuMs(5000, 1)) * 1000, 1);
    const batchedUs = round((await frankingCpuMs(20_000, Math.max(1, Math.round(observedBatch)))) * 1000, 1);
    const dbBytes = await dirBytes(dataDir);
    const loadEnd = loadavg().map((l) => round(l, 2));
    console.log("");
    const cpuNote = (x: ReturnType<typeof summarise>) =>
      `(server process ${x.serverCpuMsPerMsg} ms CPU/msg, ${x.serverCpuUtilisation} cores busy; clients ${x.harnessCpuUtilisation} cores)`;
    for (const [name, x] of [["Safelight", s], ["Safelight without franking", u], ["bare relay", b]] as const) {
      console.log(`saturated, ${name}: ${x.msgsPerSec} msgs/s delivered, p50 ${x.p50Ms} ms, p99 ${x.p99Ms} ms, max ${x.maxMs} ms ${cpuNote(x)}`);
    }
    for (const [name, x] of [["Safelight", ps], ["bare relay", pb]] as const) {
      if (x === undefined) continue;
      console.log(
        `paced at ${offeredMsgsPerSec} msgs/s (${opts.pacedFraction} × bare relay), ${name.padEnd(10)}: ${x.msgsPerSec} msgs/s delivered, ` +
          `p50 ${x.p50Ms} ms, p99 ${x.p99Ms} ms, max ${x.maxMs} ms ${cpuNote(x)}`,
      );
    }
    console.log(
      `ratio Safelight / bare relay (saturated): ${ratio} (target ≥ ${TARGET_RATIO}); Safelight p99 at ${opts.pacedFraction} × the ceiling: ` +
        `${ps === undefined ? "not measured (--paced=0)" : `${ps.p99Ms} ms`} (target < ${TARGET_P99_MS}) → ${meetsTarget ? "meets target" : "MISSES target"}; ` +
        `server CPU per message, bare relay / Safelight: ${serverCpuRatio}; ` +
        `database now ${round(dbBytes / 2 ** 20, 1)} MiB; load average ${loadEnd.join(" ")}`,
    );
    console.log(
      `franking, same run: Safelight delivers ${s.msgsPerSec} msgs/s with it and ${u.msgsPerSec} without = ` +
        `${round(frankingThroughputCost * 100, 1)}% of relay throughput (target < 10%); median of the rounds ${round(medianRoundCost * 100, 1)}%, ` +
        `their mean ${round(roundSpread.mean * 100, 1)} ± ${round(roundSpread.halfWidth * 100, 1)}%; ` +
        `server CPU ${frankingCpuUsPerMsg} µs per message more, ` +
        `of which the event loop's busy time ${frankingLoopUsPerMsg} µs`,
    );
    console.log(
      `franking timed alone (CPU per message): ${batchedUs} µs at the ${round(observedBatch, 1)} messages per signature seen in the ` +
        `saturated run (${round(batchedUs / 10 / s.serverCpuMsPerMsg, 1)}% of Safelight's CPU per message); ${aloneUs} µs for a message alone`,
    );
    console.log(
      JSON.stringify({
        bench: "messaging",
        clients: nClients,
        pairs: opts.pairs,
        messages: s.delivered,
        messagesPerClientPerRound: opts.messages,
        pacedMessagesPerClientPerRound: opts.paced,
        rounds: opts.rounds,
        warmupPerClientPerRound: opts.warmup,
        window: opts.window,
        ackBatch: opts.ackBatch,
        payloadBytes: opts.payloadBytes,
        sendFrameBytes: frameBytes,
        safelight: { ...s, atTargetLoad: ps },
        bareRelay: { ...b, atTargetLoad: pb },
        ratio,
        serverCpuRatio,
        unfranked: u,
        franking: {
          throughputCost: frankingThroughputCost,
          medianRoundThroughputCost: medianRoundCost,
          roundThroughputCost95: [round(roundSpread.mean - roundSpread.halfWidth, 3), round(roundSpread.mean + roundSpread.halfWidth, 3)],
          serverCpuUsPerMsgMore: frankingCpuUsPerMsg,
          serverLoopUsPerMsgMore: frankingLoopUsPerMsg,
          observedMessagesPerSignature: round(observedBatch, 1),
          timedAloneUsPerMsg: batchedUs,
          timedAloneUsForOneMessage: aloneUs,
          targetThroughputCostMax: 0.1,
        },
        targetLoadMsgsPerSec: offeredMsgsPerSec,
        target: { ratioMin: TARGET_RATIO, p99MaxMs: TARGET_P99_MS },
        meetsTarget,
        servers: "child processes",
        harnessNice: opts.harnessNice,
        node: process.version,
        cpus: cpu.length,
        loadavgStart: loadStart,
        loadavgEnd: loadEnd,
      }),
    );
  } finally {
    await Promise.all([safelight.stop(), bare.stop()]);
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
