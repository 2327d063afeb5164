// The servers `npm run bench:messaging` measures, each node in a child process of its own (child.ts) so
// its CPU time is its own: the bare relay, and Safelight on SQLite (one node) or on PostgreSQL + NATS +
// Redis (one or two nodes sharing a fresh schema, subject prefix and key prefix, all removed at the end).
// With two nodes, client i connects to node i mod 2, so each pair's two clients sit on different nodes
// and every message crosses from one node to the other. PostgreSQL's CPU is read from /proc for the
// database backends serving this deployment's connections (found by application_name in
// pg_stat_activity); the postmaster's shared processes (WAL writer, checkpointer) are not included.
import { fork, execFileSync, type ChildProcess } from "node:child_process";
import { readFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { ServerOptions } from "../config.js";
import type { ChildReply, ChildRequest } from "./child.js";
import type { BenchOptions, Configuration } from "./options.js";
import type { BenchClient } from "./setup.js";

export interface Child {
  url: string;
  proc: ChildProcess;
  ask(req: ChildRequest): Promise<ChildReply>;
  stop(): Promise<void>;
}

/** Forks child.ts with `args` and resolves once it reports its URL. */
export async function spawnChild(args: string[]): Promise<Child> {
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

export interface Deployment {
  /** "sqlite, 1 node", "postgres, 2 nodes" or "bare relay". */
  label: string;
  config: Configuration | undefined;
  nodes: Child[];
  /** Each Safelight node's data directory (none for the bare relay). */
  dataDirs: string[];
  /** CPU time and event-loop active time, summed over the nodes, in ms so far. */
  times(): Promise<{ cpuMs: number; loopMs: number }>;
  /** The node client `i` connects to. */
  url(i: number): string;
  /** CPU ms of each of this deployment's PostgreSQL backends so far; undefined without PostgreSQL (or /proc). */
  dbCpu(): Promise<DbCpu | undefined>;
  stop(): Promise<void>;
}

const label = (c: Configuration) => `${c.backend}, ${c.nodes} node${c.nodes > 1 ? "s" : ""}`;

function deployment(
  name: string,
  config: Configuration | undefined,
  nodes: Child[],
  dataDirs: string[],
  db?: PgCpu,
): Deployment {
  return {
    label: name,
    config,
    nodes,
    dataDirs,
    times: async () => {
      const each = await Promise.all(nodes.map(serverTimes));
      return { cpuMs: each.reduce((n, t) => n + t.cpuMs, 0), loopMs: each.reduce((n, t) => n + t.loopMs, 0) };
    },
    url: (i) => (nodes[i % nodes.length] as Child).url,
    dbCpu: async () => db?.sample(),
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await db?.close();
    },
  };
}

export async function startBare(): Promise<Deployment> {
  return deployment("bare relay", undefined, [await spawnChild(["bare"])], []);
}

/** `id` tells this deployment's schema, subjects and keys apart from every other run's and deployment's. */
export async function startSafelight(config: Configuration, opts: BenchOptions, dir: string, id: string): Promise<Deployment> {
  let backend: ServerOptions = {};
  let db: PgCpu | undefined;
  if (config.backend === "postgres") {
    const app = `slbench_${id}`;
    const url = new URL(opts.databaseUrl);
    url.searchParams.set("application_name", app);
    backend = {
      databaseUrl: url.toString(),
      databaseSchema: app,
      natsUrl: opts.natsUrl,
      natsPrefix: `slbench.${id}`,
      redisUrl: opts.redisUrl,
      redisPrefix: `slbench:${id}`,
    };
    db = await PgCpu.open(opts.databaseUrl, app);
  }
  // One moderation key for the whole deployment, as docs/deploy.md asks of several nodes; nodes start
  // one after the other so only the first creates the key and runs the migrations.
  const options = { ...backend, moderationKeyFile: join(dir, "moderation.key") };
  const dataDirs = Array.from({ length: config.nodes }, (_, n) => join(dir, `node${n + 1}`));
  const nodes: Child[] = [];
  try {
    for (const nodeDir of dataDirs) {
      await mkdir(nodeDir, { recursive: true });
      nodes.push(await spawnChild(["safelight", nodeDir, JSON.stringify(options)]));
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    await db?.close();
    throw err;
  }
  return deployment(label(config), config, nodes, dataDirs, db);
}

/** CPU ms by backend pid. */
export type DbCpu = Map<number, number>;

/** CPU the backends used between two samples; a backend that started in between counts from zero. */
export function dbCpuBetween(before: DbCpu, after: DbCpu): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

const CLOCK_TICKS_PER_SEC = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** utime + stime of a process in ms, from /proc/<pid>/stat; undefined if it is gone or unreadable. */
async function procCpuMs(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start at field 3; utime and stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
  } catch {
    return undefined;
  }
}

/** The CPU time of the PostgreSQL backends whose application_name is this deployment's, and the schema's
 *  removal at the end. Backends are sampled when asked: one that exits between two samples takes its CPU
 *  time with it (the node pools close connections idle for 10 s, not during a phase under load). */
class PgCpu {
  private constructor(
    private readonly client: pg.Client,
    private readonly app: string,
  ) {}

  static async open(url: string, app: string): Promise<PgCpu> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return new PgCpu(client, app);
  }

  /** Each live backend's CPU ms; undefined if PostgreSQL's processes are not visible here. */
  async sample(): Promise<DbCpu | undefined> {
    const { rows } = await this.client.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1", [this.app]);
    const sample: DbCpu = new Map();
    for (const { pid } of rows) {
      const ms = await procCpuMs(pid);
      if (ms === undefined) return undefined;
      sample.set(pid, ms);
    }
    return sample;
  }

  async close(): Promise<void> {
    await this.client.query(`DROP SCHEMA IF EXISTS "${this.app}" CASCADE`);
    await this.client.end();
  }
}
