/**
 * Integration-test harness: runs the real `safelight` CLI (the built bin) and real server processes.
 * Nothing is mocked; every test talks to a server over loopback on a free port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { backendEnv, backendOptions, dumpPostgresSchema, testBackend } from "@safelight/server/testing";

export const BIN = resolve(dirname(fileURLToPath(import.meta.url)), "../bin/safelight.js");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment that puts a command naming `--data DIR` on the run's backend (the same DIR, the same
 *  PostgreSQL schema: see @safelight/server/testing). */
function envFor(args: string[]): NodeJS.ProcessEnv {
  const i = args.indexOf("--data");
  return i < 0 ? process.env : { ...process.env, ...backendEnv(args[i + 1]!) };
}

export function run(args: string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: envFor(args) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Runs the CLI and fails the test with its stderr when it exits non-zero. */
export async function ok(args: string[]): Promise<string> {
  const r = await run(args);
  if (r.code !== 0) throw new Error(`safelight ${args.join(" ")} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `safelight-${prefix}-`));
}

export class ServerProcess {
  url = "";
  log = "";
  private child: ChildProcess | undefined;

  /** `args` go after `server --data DIR --port N` (e.g. `--database URL` for a server on PostgreSQL). */
  constructor(
    readonly dataDir: string,
    private readonly args: string[] = [],
  ) {}

  /** Starts `safelight server` as `npx safelight server` does (through the launcher's `#!` line) and resolves with its URL once it prints "listening on". The first start takes a free
   *  port; restarts keep it, so profiles still find the server. */
  async start(): Promise<string> {
    const port = this.url ? new URL(this.url).port : "0";
    const args = ["server", "--data", this.dataDir, "--port", port, ...this.args];
    const child = spawn(BIN, args, { stdio: ["ignore", "pipe", "pipe"], env: envFor(args) });
    this.child = child;
    this.url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`server did not start: ${this.log}`)), 30_000);
      const onData = (d: Buffer) => {
        this.log += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(this.log);
        if (m) {
          clearTimeout(timer);
          done(m[1]!);
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", (d: Buffer) => (this.log += d.toString()));
      child.on("exit", (code) => fail(new Error(`server exited early (${code}): ${this.log}`)));
    });
    return this.url;
  }

  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((done) => {
      child.once("exit", () => done());
      child.kill(signal);
    });
  }
}

export function cleanup(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

export interface SyncedMessage {
  id: string;
  conversation: string;
  kind: string;
  title: string;
  from: string;
  text: string;
  sentAt: number;
  files?: { name: string; type: string; size: number; path?: string; unavailable?: string }[];
}

/** Every line `sync --json` printed: messages, and receipts, reactions, timers, safety notices, device changes and key-transparency alarms (their `kind`). */
export async function syncLines(profile: string, wait = 0): Promise<(SyncedMessage | SyncedEvent)[]> {
  const out = await ok(["--profile", profile, "sync", "--json", "--wait", String(wait)]);
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SyncedMessage | SyncedEvent);
}

export interface SyncedEvent {
  kind: "receipt" | "reaction" | "timer" | "safety-notice" | "device-change" | "key-transparency-alarm";
  [field: string]: unknown;
}

export const isMessageLine = (l: { kind: string }): l is SyncedMessage => l.kind === "direct" || l.kind === "group";

/** The messages `sync --json` printed. */
export async function syncJson(profile: string, wait = 0): Promise<SyncedMessage[]> {
  return (await syncLines(profile, wait)).filter(isMessageLine);
}

export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const f = join(dir, e);
    return statSync(f).isDirectory() ? filesUnder(f) : [f];
  });
}

/** The no-plaintext check: the texts (UTF-8 or UTF-16) found in any file under the data dirs, in the
 *  logs, or (on PostgreSQL) in any value of any table of the servers' schemas. */
export async function plaintextsFound(dataDirs: string[], logs: string[], texts: string[]): Promise<string[]> {
  const haystacks = [...dataDirs.flatMap(filesUnder).map((f) => readFileSync(f)), ...logs.map((l) => Buffer.from(l))];
  if (testBackend === "postgres") {
    for (const dir of dataDirs) {
      const { databaseUrl, databaseSchema } = backendOptions(dir);
      haystacks.push(Buffer.from(await dumpPostgresSchema(databaseUrl!, databaseSchema!), "latin1"));
    }
  }
  return texts.filter((t) => {
    const needles = [Buffer.from(t, "utf8"), Buffer.from(t, "utf16le")];
    return haystacks.some((h) => needles.some((n) => h.includes(n)));
  });
}
