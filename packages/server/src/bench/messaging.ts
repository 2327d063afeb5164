// `npm run bench:messaging` (build first: `npm run build`). 2 × pairs clients exchange real MLS
// application messages through the Safelight server (storage, auth, queues) over `/v1/ws`,
// and, in the same run with the same client harness and frames, through a bare `ws` relay (no
// storage, no auth, no JSON) as the ceiling; and, to measure franking's cost, through the same Safelight
// server with franking switched off (a stored stamp handed back instead, see switchableFranking.ts), the
// franked and unfranked phases alternating in order round by round. Each server node runs in its own child
// process; the clients run in this one. Everything is on 127.0.0.1. The last line printed is one JSON object.
// Backends, same run: Safelight on SQLite (one node), on PostgreSQL + NATS + Redis with one node and with
// two (deployment.ts), each with its own accounts and groups, saturated and then all paced at one rate
// that the slowest can carry; --backend / --nodes measure one of them instead. The first deployment is
// the one also measured with franking off and against the product target.
// Options: see options.ts (argv `--messages=50` or env `BENCH_MESSAGES=50`). Method: docs/benchmarks.md.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fromB64, processIncoming } from "@safelight/protocol";
import { dbCpuBetween, startBare, startSafelight, type Deployment } from "./deployment.js";
import { frankingCpuMs } from "./frankingCost.js";
import { BENCH_LIMITS, parseOptions, type BenchOptions } from "./options.js";
import { RelayHarness, type HarnessClient, type RangeResult } from "./relayHarness.js";
import { benchEngine, formPair, payload, pool, preEncrypt, registerClients, type BenchClient } from "./setup.js";
import { concatSorted, dirBytes, meanAndHalfWidth, median, percentile, round } from "./stats.js";

const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 250;

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
  /** The deployment's PostgreSQL backends; undefined when there are none (or /proc cannot show them). */
  dbCpuMs: number | undefined;
}

const newTotals = (): RelayTotals => ({ results: [], serverCpuMs: 0, serverLoopMs: 0, harnessCpuMs: 0, dbCpuMs: undefined });

/** `unfranked`: the same Safelight server with franking switched off (SwitchableFranking), to measure
 *  what franking costs in throughput in the same run. */
type RelayKind = "bareRelay" | "safelight" | "unfranked";

function harnessClients(kind: RelayKind, target: Deployment, clients: BenchClient[]): HarnessClient[] {
  return clients.map((c, i) => {
    const ws = target.url(i).replace(/^http/, "ws");
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
  target: Deployment,
  clients: BenchClient[],
  opts: BenchOptions,
  phase: Phase,
  totals: RelayTotals,
  profilePath?: string,
): Promise<RangeResult> {
  const harness = await RelayHarness.connect(harnessClients(kind, target, clients), {
    window: opts.window,
    ackBatch: opts.ackBatch,
    ackDelayMs: opts.ackDelayMs,
    expectSentReplies: kind !== "bareRelay",
    stallMs: 30_000,
  });
  const { from, warmup, count } = phase;
  const what = `${target.label} (${kind})`;
  if (warmup > 0) check(what, await harness.runRange(from, from + warmup), clients.length * warmup);
  // One profile per node: `<profilePath>` for a single node, `-node<n>` before the extension for more.
  const profiles = target.nodes.map((node, n) => ({ node, path: target.nodes.length === 1 ? profilePath : profilePath?.replace(/(\.cpuprofile)$/, `-node${n + 1}$1`) }));
  if (profilePath !== undefined) for (const { node } of profiles) await node.ask({ cmd: "prof-start" });
  const dbBefore = await target.dbCpu();
  const serverBefore = await target.times();
  const harnessBefore = ownCpuMs();
  const result = await harness.runRange(from + warmup, from + warmup + count, phase.pacedPerClientPerSec);
  totals.harnessCpuMs += ownCpuMs() - harnessBefore;
  const serverAfter = await target.times();
  const dbAfter = await target.dbCpu();
  totals.serverCpuMs += serverAfter.cpuMs - serverBefore.cpuMs;
  totals.serverLoopMs += serverAfter.loopMs - serverBefore.loopMs;
  if (dbBefore !== undefined && dbAfter !== undefined) totals.dbCpuMs = (totals.dbCpuMs ?? 0) + dbCpuBetween(dbBefore, dbAfter);
  for (const { node, path } of profiles) {
    if (path === undefined) continue;
    await node.ask({ cmd: "prof-stop", path });
    console.log(`  cpu profile of the server: ${path}`);
  }
  check(what, result, clients.length * count);
  if (harness.strayFrames > 0) throw new Error(`${what}: ${harness.strayFrames} frames arrived outside a run`);
  await harness.close();
  totals.results.push(result);
  return result;
}

function check(what: string, r: RangeResult, expected: number): void {
  if (r.errors.length > 0) throw new Error(`${what}: ${r.errors.length} errors, first: ${r.errors[0]}`);
  if (r.mismatches > 0) throw new Error(`${what}: ${r.mismatches} deliveries did not match what the peer sent`);
  if (r.delivered !== expected) throw new Error(`${what}: delivered ${r.delivered} of ${expected}`);
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
    dbCpuMsPerMsg: t.dbCpuMs === undefined ? undefined : round(t.dbCpuMs / delivered, 4),
    harnessCpuUtilisation: round(t.harnessCpuMs / elapsedMs, 2),
  };
}


/** Registers the clients on a deployment, forms their groups and pre-encrypts their messages (untimed). */
async function prepare(target: Deployment, nClients: number, opts: BenchOptions, perClient: number) {
  // An engine and device directory per deployment: each database hands out its own account ids.
  const directory = new Map<string, Uint8Array>();
  const engine = await benchEngine(directory);
  const base = target.url(0);
  let t = performance.now();
  const clients = await registerClients(base, engine, directory, nClients);
  const tRegister = performance.now() - t;
  t = performance.now();
  const pairs = Array.from({ length: opts.pairs }, (_, p) => ({ a: clients[2 * p] as BenchClient, b: clients[2 * p + 1] as BenchClient }));
  await pool(pairs, 8, (p) => formPair(base, engine, p.a, p.b));
  const tGroups = performance.now() - t;
  t = performance.now();
  for (const c of clients) await preEncrypt(engine, c, perClient, opts.payloadBytes);
  const tEncrypt = performance.now() - t;
  // The messages are real: the peer of pair 0 decrypts the first one (its state is not used again).
  const a0 = clients[0] as BenchClient;
  const b0 = clients[1] as BenchClient;
  const opened = await processIncoming(engine, b0.state!, fromB64(a0.messages[0] as string) as Uint8Array);
  const sent = payload(opts.payloadBytes, "m0.0 ");
  if (opened.kind !== "application" || !Buffer.from(opened.plaintext).equals(Buffer.from(sent))) {
    throw new Error("pre-encrypted message did not decrypt to the expected text");
  }
  console.log(
    `setup of ${target.label} (untimed): register + key packages ${round(tRegister / 1000, 1)} s, ${opts.pairs} MLS groups ${round(tGroups / 1000, 1)} s, ` +
      `${nClients * perClient} PrivateMessages pre-encrypted in ${round(tEncrypt / 1000, 1)} s; ` +
      `send frame ${Buffer.byteLength(a0.frames[0] ?? "")} B (MLS message ${fromB64(a0.messages[0] as string)?.length} B); sample decrypts OK`,
  );
  return clients;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2), process.env);
  if (opts.profileDir !== undefined) await mkdir(opts.profileDir, { recursive: true });
  const nClients = opts.pairs * 2;
  // Every pass sends frames its deployment has not been sent before: the server takes a resent MLS
  // message for the same message (its id is derived from the bytes, docs/protocol.md) and does not queue
  // it again. The first deployment sends the most: both franking arms, and its paced frames twice.
  const perClient = 2 * (opts.warmup + opts.messages) + opts.rounds * (2 * (opts.warmup + opts.messages) + 2 * opts.paced);
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
  console.log(`  servers: each node in its own child process on 127.0.0.1; Safelight rate limits raised to ${BENCH_LIMITS.rateBurst} so the bench does not throttle itself`);
  console.log(`  clients: one process at nice ${opts.harnessNice} (--harness-nice), so it does not preempt the servers`);

  const dataDir = await mkdtemp(join(tmpdir(), "safelight-bench-"));
  // Tells this run's PostgreSQL schemas, NATS subjects and Redis keys from any other run's.
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  const deployments: Deployment[] = [];
  try {
    for (const [i, config] of opts.configurations.entries()) {
      deployments.push(await startSafelight(config, opts, join(dataDir, `d${i + 1}`), `${runId}_${i + 1}`));
    }
    const bare = await startBare();
    deployments.push(bare);
    // Only now: the children inherit the nice value they are forked with.
    setPriority(opts.harnessNice);
    const safelights = deployments.slice(0, -1);
    const safelight = safelights[0] as Deployment;
    console.log(`  Safelight deployments: ${safelights.map((d) => d.label).join("; ")} (with two nodes, each pair's clients on different nodes)`);

    // --- setup (untimed) -----------------------------------------------------------------------
    const clientsOf = new Map<Deployment, BenchClient[]>();
    for (const d of safelights) clientsOf.set(d, await prepare(d, nClients, opts, perClient));
    // The bare relay carries the first deployment's frames.
    const clients = clientsOf.get(safelight) as BenchClient[];
    clientsOf.set(bare, clients);
    const frameBytes = Buffer.byteLength(clients[0]?.frames[0] ?? "");

    // --- measured rounds -----------------------------------------------------------------------
    const saturated: Record<RelayKind, RelayTotals> = { bareRelay: newTotals(), safelight: newTotals(), unfranked: newTotals() };
    const paced: Record<RelayKind, RelayTotals> = { bareRelay: newTotals(), safelight: newTotals(), unfranked: newTotals() };
    // The backend comparison: every Safelight deployment saturated (franked; the first one's totals are
    // saturated.safelight) and paced at the common rate.
    const compared = new Map(safelights.map((d, i) => [d, { saturated: i === 0 ? saturated.safelight : newTotals(), paced: newTotals() }]));
    const offered: number[] = [];
    const comparedOffered: number[] = [];
    const sentSoFar = new Map<Deployment, number>();
    /** The first index of `n` frames per client that `d` has not been sent yet. */
    const fresh = (d: Deployment, n: number): number => {
      const from = sentSoFar.get(d) ?? 0;
      sentSoFar.set(d, from + n);
      return from;
    };
    const setFranking = async (kind: RelayKind) => {
      if (kind !== "bareRelay") for (const node of safelight.nodes) await node.ask({ cmd: "franking", on: kind === "safelight" });
    };
    const line = (r: number, what: string, res: RangeResult) => {
      const sorted = concatSorted([res.latenciesMs]);
      console.log(
        `  round ${r + 1} ${what}: ${res.delivered} msgs in ${round(res.elapsedMs / 1000, 3)} s = ` +
          `${round(res.delivered / (res.elapsedMs / 1000), 0)} msgs/s, p50 ${round(percentile(sorted, 50), 2)} ms, ` +
          `p99 ${round(percentile(sorted, 99), 2)} ms`,
      );
    };
    const rateOf = (res: RangeResult) => res.delivered / (res.elapsedMs / 1000);
    // One untimed saturated pass of each Safelight arm first: the first phase of a run is the slowest
    // (JIT, database growth), and it would otherwise always be the franked one.
    for (const kind of ["safelight", "unfranked"] as const) {
      await setFranking(kind);
      await runPhase(kind, safelight, clients, opts, { from: fresh(safelight, opts.warmup + opts.messages), warmup: 0, count: opts.warmup + opts.messages }, newTotals());
    }
    for (const d of safelights.slice(1)) {
      await runPhase("safelight", d, clientsOf.get(d) as BenchClient[], opts, { from: fresh(d, opts.warmup + opts.messages), warmup: 0, count: opts.warmup + opts.messages }, newTotals());
    }
    for (let r = 0; r < opts.rounds; r++) {
      let bareRate = 0;
      const roundRates = new Map<Deployment, number>();
      // The franked and unfranked phases of the first deployment send as many frames of the same size; their
      // order, and the order of the other deployments, alternates by round.
      const others = r % 2 === 0 ? safelights.slice(1) : safelights.slice(1).reverse();
      const saturatedPhases: [RelayKind, Deployment][] = [
        ["bareRelay", bare],
        ...(r % 2 === 0 ? (["safelight", "unfranked"] as const) : (["unfranked", "safelight"] as const)).map((k): [RelayKind, Deployment] => [k, safelight]),
        ...others.map((d): [RelayKind, Deployment] => ["safelight", d]),
      ];
      for (const [kind, d] of saturatedPhases) {
        await setFranking(kind);
        const profilePath =
          kind !== "bareRelay" && opts.profileDir !== undefined
            ? join(opts.profileDir, `${kind}-${d.label.replace(/\W+/g, "-")}-saturated-r${r + 1}-${Date.now()}.cpuprofile`)
            : undefined;
        const totals = d === bare ? saturated.bareRelay : kind === "unfranked" ? saturated.unfranked : (compared.get(d)?.saturated as RelayTotals);
        const res = await runPhase(kind, d, clientsOf.get(d) as BenchClient[], opts, { from: fresh(d, opts.warmup + opts.messages), warmup: opts.warmup, count: opts.messages }, totals, profilePath);
        if (d === bare) bareRate = rateOf(res);
        else if (kind === "safelight") roundRates.set(d, rateOf(res));
        line(r, `${d === bare ? "bare relay" : `${d.label} ${kind}`} saturated`, res);
      }
      if (opts.paced === 0) continue;
      const rate = opts.pacedFraction * bareRate;
      offered.push(rate);
      await setFranking("safelight");
      for (const [kind, d] of [["bareRelay", bare], ["safelight", safelight]] as const) {
        const phase = { from: fresh(d, opts.paced), warmup: 0, count: opts.paced, pacedPerClientPerSec: rate / nClients };
        line(r, `${d.label} paced at ${round(rate, 0)} msgs/s`, await runPhase(kind, d, clientsOf.get(d) as BenchClient[], opts, phase, paced[kind]));
      }
      // Every deployment at one load the slowest of them carries (the same fraction of its saturated rate
      // this round), so CPU per message and latency compare at equal work.
      const common = opts.pacedFraction * Math.min(...roundRates.values());
      comparedOffered.push(common);
      for (const d of others.length > 0 && r % 2 === 1 ? [...others, safelight] : [safelight, ...others]) {
        const phase = { from: fresh(d, opts.paced), warmup: 0, count: opts.paced, pacedPerClientPerSec: common / nClients };
        const res = await runPhase("safelight", d, clientsOf.get(d) as BenchClient[], opts, phase, compared.get(d)?.paced as RelayTotals);
        line(r, `${d.label} paced at ${round(common, 0)} msgs/s (backend comparison)`, res);
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
    const mean = (xs: number[]) => round(xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length), 0);
    const offeredMsgsPerSec = mean(offered);
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
    const sqlite = safelights.find((d) => d.config?.backend === "sqlite");
    const dbBytes = sqlite === undefined ? undefined : await dirBytes(sqlite.dataDirs[0] as string);
    const loadEnd = loadavg().map((l) => round(l, 2));
    console.log("");
    const cpuNote = (x: ReturnType<typeof summarise>) =>
      `(server process ${x.serverCpuMsPerMsg} ms CPU/msg, ${x.serverCpuUtilisation} cores busy; clients ${x.harnessCpuUtilisation} cores)`;
    for (const [name, x] of [[`Safelight (${safelight.label})`, s], ["Safelight without franking", u], ["bare relay", b]] as const) {
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
        `${dbBytes === undefined ? "" : `SQLite database now ${round(dbBytes / 2 ** 20, 1)} MiB; `}load average ${loadEnd.join(" ")}`,
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
    const backends = compareBackends(compared, b, sqlite ?? safelight);
    console.log(
      `backends, same run (saturated, then paced at ${mean(comparedOffered)} msgs/s; CPU per delivered message at that load; ` +
        `ratios against ${(sqlite ?? safelight).label}):`,
    );
    const cpuText = (x: ReturnType<typeof summarise>, server: number, withDb: number) =>
      `server ${x.serverCpuMsPerMsg} ms/msg (${server} ×)` +
      (x.dbCpuMsPerMsg === undefined ? "" : ` + PostgreSQL backends ${x.dbCpuMsPerMsg} ms/msg (together ${withDb} ×)`);
    for (const x of backends) {
      const v = x.vsBaseline;
      console.log(
        `  ${x.label.padEnd(18)} saturated ${x.saturated.msgsPerSec} msgs/s (${v.saturatedThroughput} ×; bare relay ${x.vsBareRelay} ×), ` +
          `CPU ${cpuText(x.saturated, v.saturatedServerCpuPerMsg, v.saturatedServerAndDbCpuPerMsg)}` +
          (x.paced === undefined
            ? ""
            : `; paced ${x.paced.msgsPerSec} msgs/s: p50 ${x.paced.p50Ms} ms, p99 ${x.paced.p99Ms} ms (${v.p99} ×), ` +
              `CPU ${cpuText(x.paced, v.serverCpuPerMsg, v.serverAndDbCpuPerMsg)}`) +
          ` — CPU summed over ${x.nodes} node(s)`,
      );
    }
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
        deployment: safelight.label,
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
        backendsPacedMsgsPerSec: mean(comparedOffered),
        backendsBaseline: (sqlite ?? safelight).label,
        backends,
        servers: "child processes",
        harnessNice: opts.harnessNice,
        node: process.version,
        cpus: cpu.length,
        loadavgStart: loadStart,
        loadavgEnd: loadEnd,
      }),
    );
  } finally {
    await Promise.all(deployments.map((d) => d.stop()));
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Each deployment's figures and their ratios to the baseline deployment's (SQLite when measured). */
function compareBackends(
  compared: Map<Deployment, { saturated: RelayTotals; paced: RelayTotals }>,
  bare: ReturnType<typeof summarise>,
  baseline: Deployment,
) {
  // CPU per message at the common paced load, or saturated when the run had no paced phase (--paced=0).
  const summaries = [...compared].map(([d, t]) => {
    const saturated = summarise(t.saturated);
    const paced = t.paced.results.length > 0 ? summarise(t.paced) : undefined;
    return { d, saturated, paced, atLoad: paced ?? saturated };
  });
  const base = summaries.find((x) => x.d === baseline)!;
  const cpuWithDb = (x: ReturnType<typeof summarise>) => x.serverCpuMsPerMsg + (x.dbCpuMsPerMsg ?? 0);
  return summaries.map(({ d, saturated, paced, atLoad }) => ({
    label: d.label,
    backend: d.config?.backend,
    nodes: d.nodes.length,
    saturated,
    paced,
    vsBareRelay: round(saturated.msgsPerSec / bare.msgsPerSec, 3),
    // Saturated CPU per message is the marginal cost; at the (low) common paced load it also carries each
    // process's fixed cost per second (timers, GC) spread over fewer messages.
    vsBaseline: {
      saturatedThroughput: round(saturated.msgsPerSec / base.saturated.msgsPerSec, 3),
      p99: round(atLoad.p99Ms / base.atLoad.p99Ms, 2),
      serverCpuPerMsg: round(atLoad.serverCpuMsPerMsg / base.atLoad.serverCpuMsPerMsg, 2),
      serverAndDbCpuPerMsg: round(cpuWithDb(atLoad) / cpuWithDb(base.atLoad), 2),
      saturatedServerCpuPerMsg: round(saturated.serverCpuMsPerMsg / base.saturated.serverCpuMsPerMsg, 2),
      saturatedServerAndDbCpuPerMsg: round(cpuWithDb(saturated) / cpuWithDb(base.saturated), 2),
    },
  }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
