/**
 * A `safelight server` child process for the failure harnesses (test/nodeKill, test/pgRestart, the CLI's
 * chaos and soak scripts): started, SIGKILLed and restarted on the same data directory and port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ServerProcessOptions {
  /** The `safelight` bin (packages/cli/bin/safelight.js). */
  bin: string;
  /** Extra environment (backend URLs, limits). */
  env?: Record<string, string>;
  /** Extra `safelight server` arguments. */
  args?: string[];
  /** Default: a fresh temporary directory. */
  dataDir?: string;
}

/** A `safelight server` child process; restarts keep its data directory and port. */
export class ServerNode {
  url = "";
  private log = "";
  private child: ChildProcess | undefined;
  readonly dataDir: string;

  constructor(private readonly opts: ServerProcessOptions) {
    this.dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "safelight-node-"));
    mkdirSync(this.dataDir, { recursive: true });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  async start(): Promise<string> {
    const port = this.url ? String(this.port) : "0";
    const child = spawn(process.execPath, [this.opts.bin, "server", "--data", this.dataDir, "--port", port, ...(this.opts.args ?? [])], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...this.opts.env },
    });
    this.child = child;
    this.log = "";
    this.url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`server did not start: ${this.log}`)), 60_000);
      const onData = (d: Buffer) => {
        // Only the start-up lines matter (and the last ones, for a failure message): the request log is long.
        this.log = (this.log + d.toString()).slice(-20_000);
        const m = /listening on (http:\/\/\S+)/.exec(this.log);
        if (m) {
          clearTimeout(timer);
          done(m[1]!);
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code, signal) => fail(new Error(`server exited early (${code ?? signal}): ${this.log}`)));
    });
    return this.url;
  }

  /** Ends the process with `signal` and resolves once it is gone. */
  async stop(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((done) => {
      child.once("exit", () => done());
      child.kill(signal);
    });
  }

  /** Whether the process exited by itself (a crash) rather than by stop(). */
  get crashed(): string | undefined {
    const child = this.child;
    return child && child.exitCode !== null ? `exited ${child.exitCode}: ${this.log.slice(-3000)}` : undefined;
  }
}
