// Knobs for `npm run bench:messaging`, from argv (`--messages=50`) or the environment
// (`BENCH_MESSAGES=50`); argv wins.

export type Backend = "sqlite" | "postgres";

/** One Safelight deployment under test. */
export interface Configuration {
  backend: Backend;
  nodes: 1 | 2;
}

/** Without --backend or --nodes, a run measures all three, the first (SQLite) also with franking off. */
export const DEFAULT_CONFIGURATIONS: readonly Configuration[] = [
  { backend: "sqlite", nodes: 1 },
  { backend: "postgres", nodes: 1 },
  { backend: "postgres", nodes: 2 },
];

export interface BenchOptions {
  /** Pairs of clients; clients = 2 × pairs. */
  pairs: number;
  /** Measured messages each client sends to its peer per round. */
  messages: number;
  /** Messages each client sends per round in the paced (fixed-rate, open-loop) latency phase. */
  paced: number;
  /** Total offered load of the paced phase as a fraction of the bare relay's saturated throughput in
   *  the same round (the target: Safelight must deliver half the ceiling with p99 < 250 ms). */
  pacedFraction: number;
  /** Untimed messages each client sends before each measured round (JIT, sockets, SQLite cache). */
  warmup: number;
  /** Messages a client may have sent but not yet seen delivered to its peer. */
  window: number;
  /** The recipient acks after this many items, or after ackDelayMs, whichever is first. */
  ackBatch: number;
  ackDelayMs: number;
  /** Rounds, each one bare-relay run then one Safelight run; figures pool all rounds. */
  rounds: number;
  /** Bytes of application content inside each MLS PrivateMessage. */
  payloadBytes: number;
  /** If set, a directory where the Safelight server child writes a .cpuprofile of its measured rounds. */
  profileDir: string | undefined;
  /** The clients' process runs at this nice value (0–19) once the servers are started, so that on a
   *  small machine the load generator takes the CPU the servers leave, as remote clients would, instead
   *  of preempting them (the servers and their threads stay at the nice value they were started with). */
  harnessNice: number;
  /** The Safelight deployments measured; the first is the one measured with franking on and off. */
  configurations: Configuration[];
  /** Where the PostgreSQL deployments keep their data (each in a fresh schema), signal and rate-limit. */
  databaseUrl: string;
  natsUrl: string;
  redisUrl: string;
}

type Knob = Exclude<keyof BenchOptions, "configurations"> | "backend" | "nodes";

const DEFAULTS: Omit<BenchOptions, "profileDir" | "configurations" | "databaseUrl" | "natsUrl" | "redisUrl"> = {
  pairs: 100,
  messages: 40,
  paced: 20,
  pacedFraction: 0.5,
  warmup: 5,
  window: 8,
  ackBatch: 16,
  ackDelayMs: 5,
  rounds: 2,
  payloadBytes: 100,
  harnessNice: 10,
};

const ENV: Record<Knob, string> = {
  pairs: "BENCH_PAIRS",
  messages: "BENCH_MESSAGES",
  paced: "BENCH_PACED",
  pacedFraction: "BENCH_PACED_FRACTION",
  warmup: "BENCH_WARMUP",
  window: "BENCH_WINDOW",
  ackBatch: "BENCH_ACK_BATCH",
  ackDelayMs: "BENCH_ACK_DELAY_MS",
  rounds: "BENCH_ROUNDS",
  payloadBytes: "BENCH_PAYLOAD_BYTES",
  profileDir: "BENCH_PROFILE_DIR",
  harnessNice: "BENCH_HARNESS_NICE",
  backend: "BENCH_BACKEND",
  nodes: "BENCH_NODES",
  databaseUrl: "BENCH_DATABASE_URL",
  natsUrl: "BENCH_NATS_URL",
  redisUrl: "BENCH_REDIS_URL",
};

const FLAG: Record<Knob, string> = {
  pairs: "pairs",
  messages: "messages",
  paced: "paced",
  pacedFraction: "paced-fraction",
  warmup: "warmup",
  window: "window",
  ackBatch: "ack-batch",
  ackDelayMs: "ack-delay-ms",
  rounds: "rounds",
  payloadBytes: "payload-bytes",
  profileDir: "profile-dir",
  harnessNice: "harness-nice",
  backend: "backend",
  nodes: "nodes",
  databaseUrl: "database-url",
  natsUrl: "nats-url",
  redisUrl: "redis-url",
};

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (m === null || m[1] === undefined || m[2] === undefined) throw new Error(`unrecognised argument ${arg} (use --name=value)`);
    if (!Object.values(FLAG).includes(m[1])) throw new Error(`unknown option --${m[1]}`);
    flags.set(m[1], m[2]);
  }
  const raw = (key: Knob): string | undefined => {
    const text = flags.get(FLAG[key]) ?? env[ENV[key]];
    return text === "" ? undefined : text;
  };
  const num = (key: Exclude<keyof typeof DEFAULTS, "pacedFraction">, min: number): number => {
    const text = raw(key);
    if (text === undefined) return DEFAULTS[key];
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${FLAG[key]} / ${ENV[key]} must be an integer ≥ ${min}`);
    return n;
  };
  const profileDir = raw("profileDir");
  const fractionText = raw("pacedFraction");
  const pacedFraction = fractionText === undefined ? DEFAULTS.pacedFraction : Number(fractionText);
  if (!(pacedFraction > 0 && pacedFraction <= 2)) throw new Error("--paced-fraction / BENCH_PACED_FRACTION must be in (0, 2]");
  return {
    pairs: num("pairs", 1),
    messages: num("messages", 1),
    paced: num("paced", 0),
    pacedFraction,
    warmup: num("warmup", 0),
    window: num("window", 1),
    ackBatch: num("ackBatch", 1),
    ackDelayMs: num("ackDelayMs", 0),
    rounds: num("rounds", 1),
    payloadBytes: num("payloadBytes", 40),
    harnessNice: Math.min(19, num("harnessNice", 0)),
    profileDir,
    configurations: configurations(raw("backend"), raw("nodes")),
    databaseUrl: raw("databaseUrl") ?? "postgres://root@127.0.0.1:5432/test",
    natsUrl: raw("natsUrl") ?? "nats://127.0.0.1:4222",
    redisUrl: raw("redisUrl") ?? "redis://127.0.0.1:6379",
  };
}

/** --backend and --nodes pick one configuration (two nodes need PostgreSQL); neither = the default three. */
function configurations(backend: string | undefined, nodes: string | undefined): Configuration[] {
  if (backend === undefined && nodes === undefined) return [...DEFAULT_CONFIGURATIONS];
  if (backend !== undefined && backend !== "sqlite" && backend !== "postgres") throw new Error("--backend / BENCH_BACKEND must be sqlite or postgres");
  if (nodes !== undefined && nodes !== "1" && nodes !== "2") throw new Error("--nodes / BENCH_NODES must be 1 or 2");
  const n = nodes === "2" ? 2 : 1;
  const b = backend ?? (n === 2 ? "postgres" : "sqlite");
  if (b === "sqlite" && n === 2) throw new Error("two nodes share a database: --nodes=2 needs --backend=postgres");
  return [{ backend: b, nodes: n }];
}

/** Limits high enough that the bench never throttles itself (defaults: burst 2000, 200/s per account
 *  and per address, which 200 clients behind 127.0.0.1 would hit; also registrations per address and
 *  messages per device and group); it measures delivery, not the
 *  rate limiter. */
export const BENCH_LIMITS = {
  rateBurst: 1_000_000_000,
  ratePerSecond: 1_000_000_000,
  anonBurst: 1_000_000_000,
  anonPerSecond: 1_000_000_000,
  registrationBurst: 1_000_000_000,
  groupSendBurst: 1_000_000_000,
  groupSendPerSecond: 1_000_000_000,
} as const;
