// `npm run bench:mls`: MLS application-message throughput and add-commit cost,
// with ts-mls's WebCrypto default provider as the baseline and our node:crypto
// provider, in one run. The last line printed is a single JSON object.
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import {
  createApplicationMessage,
  createCommit,
  createGroup,
  defaultCryptoProvider,
  defaultCredentialTypes,
  defaultProposalTypes,
  generateKeyPackage,
  getCiphersuiteImpl,
  joinGroup,
  processMessage,
  unsafeTestingAuthenticationService,
  type CiphersuiteImpl,
  type ClientState,
  type CryptoProvider,
  type MlsContext,
} from "ts-mls";
import { defaultSuiteName } from "../crypto/index.js";
import { nodeCryptoProvider } from "../crypto/nodeProvider.js";

const PAYLOAD_BYTES = 100;
const GROUP_SIZES = [2, 32, 256] as const;
/** Total measuring time per (provider, group size), split over ROUNDS; override with BENCH_MS. */
const MEASURE_MS = Number(process.env["BENCH_MS"] ?? 3000);
const ROUNDS = 5;
const WARMUP_PAIRS = 50;
const ADD_COMMIT_SIZE = 256;
const ADD_COMMIT_RUNS = 5;

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

function keyPackage(cs: CiphersuiteImpl, name: string) {
  return generateKeyPackage({ credential: { credentialType: defaultCredentialTypes.basic, identity: utf8(name) }, cipherSuite: cs });
}

interface Group {
  creator: ClientState;
  receiver: ClientState;
  buildMs: number;
}

/** Creator plus size-1 members added in one commit; member 1 joins from the Welcome as the receiver. */
async function buildGroup(context: MlsContext, size: number): Promise<Group> {
  const cs = context.cipherSuite;
  const alice = await keyPackage(cs, "member-0");
  const others = await Promise.all(Array.from({ length: size - 1 }, (_, i) => keyPackage(cs, `member-${i + 1}`)));
  const state = await createGroup({
    context,
    groupId: utf8(`bench-${size}`),
    keyPackage: alice.publicPackage,
    privateKeyPackage: alice.privatePackage,
  });
  const start = performance.now();
  const commit = await createCommit({
    context,
    state,
    extraProposals: others.map((kp) => ({ proposalType: defaultProposalTypes.add, add: { keyPackage: kp.publicPackage } })),
    ratchetTreeExtension: true,
  });
  const buildMs = performance.now() - start;
  const first = others[0];
  if (commit.welcome === undefined || first === undefined) throw new Error("expected a Welcome for the added members");
  const receiver = await joinGroup({
    context,
    welcome: commit.welcome.welcome,
    keyPackage: first.publicPackage,
    privateKeys: first.privatePackage,
  });
  return { creator: commit.newState, receiver, buildMs };
}

/** A sender/receiver pair that keeps its evolving states between measurement rounds. */
class Pairing {
  readonly #payload = new Uint8Array(PAYLOAD_BYTES).fill(0x5a);
  #creator: ClientState;
  #receiver: ClientState;

  constructor(
    readonly context: MlsContext,
    group: Group,
  ) {
    this.#creator = group.creator;
    this.#receiver = group.receiver;
  }

  /** One application message: encrypt on the creator, decrypt on the receiver. */
  async pair(): Promise<void> {
    const sent = await createApplicationMessage({ context: this.context, state: this.#creator, message: this.#payload });
    this.#creator = sent.newState;
    const got = await processMessage({ context: this.context, state: this.#receiver, message: sent.message });
    this.#receiver = got.newState;
    if (got.kind !== "applicationMessage" || got.message.length !== PAYLOAD_BYTES) throw new Error("round trip failed");
  }

  /**
   * Pairs per wall-clock second over roughly `ms` milliseconds, and per second of this
   * process's CPU time (less sensitive to other load on a shared machine).
   */
  async rate(ms: number): Promise<{ wall: number; cpu: number }> {
    let pairs = 0;
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ms) {
      await this.pair();
      pairs++;
      elapsed = performance.now() - start;
    }
    const cpu = process.cpuUsage(cpuStart);
    return { wall: pairs / (elapsed / 1000), cpu: pairs / ((cpu.user + cpu.system) / 1e6) };
  }
}

/** Median ms for createCommit adding one fresh member to `state` (not applied, so every run starts alike). */
async function measureAddCommit(context: MlsContext, state: ClientState): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ADD_COMMIT_RUNS; i++) {
    const kp = await keyPackage(context.cipherSuite, `late-${i}`);
    const start = performance.now();
    await createCommit({ context, state, extraProposals: [{ proposalType: defaultProposalTypes.add, add: { keyPackage: kp.publicPackage } }] });
    times.push(performance.now() - start);
  }
  return median(times);
}

interface ProviderFigures {
  /** Median over rounds of encrypt+decrypt pairs per second, by group size. */
  pairsPerSec: Record<string, number>;
  /** Best round: the one least disturbed by other load on the machine. */
  pairsPerSecBest: Record<string, number>;
  /** Median over rounds of pairs per CPU-second of this process (includes GC helper threads). */
  pairsPerCpuSec: Record<string, number>;
  /** Median ms of one createCommit adding a member to the 256-member group. */
  addCommitMsAt256: number;
  /** ms of the single commit that added 255 members to build that group. */
  build256CommitMs: number;
}

interface Contender {
  label: string;
  pairings: Map<number, Pairing>;
  rounds: Map<number, number[]>;
  cpuRounds: Map<number, number[]>;
  addCommitMsAt256: number;
  build256CommitMs: number;
}

async function prepare(label: string, provider: CryptoProvider): Promise<Contender> {
  const cs = await getCiphersuiteImpl(defaultSuiteName, provider);
  const context: MlsContext = { cipherSuite: cs, authService: unsafeTestingAuthenticationService };
  const c: Contender = { label, pairings: new Map(), rounds: new Map(), cpuRounds: new Map(), addCommitMsAt256: NaN, build256CommitMs: NaN };
  for (const size of GROUP_SIZES) {
    const group = await buildGroup(context, size);
    const pairing = new Pairing(context, group);
    for (let i = 0; i < WARMUP_PAIRS; i++) await pairing.pair();
    c.pairings.set(size, pairing);
    c.rounds.set(size, []);
    c.cpuRounds.set(size, []);
    if (size === ADD_COMMIT_SIZE) {
      c.build256CommitMs = round(group.buildMs);
      c.addCommitMsAt256 = round(await measureAddCommit(context, group.creator), 2);
      console.log(
        `${label.padEnd(8)} ${size} members: add-member commit ${c.addCommitMsAt256} ms (median of ${ADD_COMMIT_RUNS}); ` +
          `the group's initial 255-add commit took ${c.build256CommitMs} ms`,
      );
    }
  }
  return c;
}

function figures(c: Contender): ProviderFigures {
  const pick = (from: Map<number, number[]>, f: (xs: number[]) => number) =>
    Object.fromEntries(GROUP_SIZES.map((s) => [String(s), round(f(from.get(s) ?? []))]));
  return {
    pairsPerSec: pick(c.rounds, median),
    pairsPerSecBest: pick(c.rounds, (xs) => Math.max(...xs)),
    pairsPerCpuSec: pick(c.cpuRounds, median),
    addCommitMsAt256: c.addCommitMsAt256,
    build256CommitMs: c.build256CommitMs,
  };
}

async function main(): Promise<void> {
  console.log(
    `MLS bench: ${defaultSuiteName}, ${PAYLOAD_BYTES}-byte application messages, ${MEASURE_MS} ms per cell ` +
      `in ${ROUNDS} interleaved rounds, node ${process.version}, ${cpus().length} CPUs, load ${loadavg().map((x) => round(x, 2)).join(" ")}`,
  );
  const contenders = [await prepare("default", defaultCryptoProvider), await prepare("node", nodeCryptoProvider)];
  // Interleave short rounds of both providers so background load hits both alike.
  for (let r = 0; r < ROUNDS; r++) {
    for (const size of GROUP_SIZES) {
      for (const c of contenders) {
        const pairing = c.pairings.get(size);
        if (pairing === undefined) continue;
        const { wall, cpu } = await pairing.rate(MEASURE_MS / ROUNDS);
        c.rounds.get(size)?.push(wall);
        c.cpuRounds.get(size)?.push(cpu);
      }
    }
  }
  const [baseline, node] = contenders.map(figures) as [ProviderFigures, ProviderFigures];
  for (const size of GROUP_SIZES) {
    for (const [label, f] of [["default", baseline], ["node", node]] as const) {
      console.log(
        `${label.padEnd(8)} ${String(size).padStart(3)} members: ${f.pairsPerSec[String(size)]} encrypt+decrypt pairs/s ` +
          `(median of ${ROUNDS} rounds; best ${f.pairsPerSecBest[String(size)]}; ${f.pairsPerCpuSec[String(size)]} per CPU-second)`,
      );
    }
  }
  const speedup = Object.fromEntries(
    GROUP_SIZES.map((s) => [String(s), round((node.pairsPerSec[String(s)] ?? 0) / (baseline.pairsPerSec[String(s)] ?? 1), 2)]),
  );
  const goal = 2000;
  const target = {
    pairsPerSecAt2: goal,
    metWallMedian: (node.pairsPerSec["2"] ?? 0) >= goal,
    metBestRound: (node.pairsPerSecBest["2"] ?? 0) >= goal,
    metPerCpuSecond: (node.pairsPerCpuSec["2"] ?? 0) >= goal,
  };
  console.log(
    JSON.stringify({
      bench: "mls",
      suite: defaultSuiteName,
      payloadBytes: PAYLOAD_BYTES,
      measureMs: MEASURE_MS,
      rounds: ROUNDS,
      node: process.version,
      cpus: cpus().length,
      loadAverage: loadavg().map((x) => round(x, 2)),
      providers: { node, baseline_default: baseline },
      speedup,
      target,
    }),
  );
}

await main();
