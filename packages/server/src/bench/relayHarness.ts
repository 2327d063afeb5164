// The client side of `npm run bench:messaging`, identical for the Safelight server and the bare relay:
// one WebSocket per client, pre-built `send` frames, recipient acks in batches. Two ways to send:
// - saturate: at most `window` messages per sender sent but not yet delivered to the peer (closed loop:
//   measures the most a server delivers; latency is then queueing, ≈ clients × window / throughput);
// - paced: every client sends at a fixed rate whatever happens (open loop: measures latency at a given
//   load; times run from each message's scheduled send time, so a late harness cannot hide delays).
// Sender and recipient live in this process, so one clock times every message end to end.
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import type { SendFrame, ServerFrame } from "@safelight/protocol";

export interface HarnessClient {
  /** ws:// URL with path and query. */
  url: string;
  headers: Record<string, string>;
  /** Outgoing `send` frames, in order. */
  frames: string[];
  /** The MLS messages (base64url) the peer sends, in order: each delivery is checked against them. */
  expected: string[];
  /** Index of the peer in the client list. */
  peer: number;
}

export interface HarnessOptions {
  window: number;
  ackBatch: number;
  ackDelayMs: number;
  /** Safelight answers each `send` with `sent`; the bare relay does not. */
  expectSentReplies: boolean;
  /** Fail if nothing is delivered for this long. */
  stallMs: number;
}

export interface RangeResult {
  delivered: number;
  /** First `send` to last delivery. */
  elapsedMs: number;
  latenciesMs: Float64Array;
  sentReplies: number;
  errors: string[];
  mismatches: number;
  /** Distinct franking batch signatures among the delivered Safelight items (0 for the bare relay). */
  frankBatches: number;
}

interface Conn {
  ws: WebSocket;
  client: HarnessClient;
  nextSend: number;
  inFlight: number;
  nextRecv: number;
  sendTimes: Float64Array;
  pendingAcks: string[];
  ackTimer: NodeJS.Timeout | undefined;
}

interface Run {
  to: number;
  paced: boolean;
  latencies: Float64Array;
  count: number;
  firstSend: number;
  lastDelivery: number;
  clientsDone: number;
  sentReplies: number;
  expectedSentReplies: number;
  errors: string[];
  mismatches: number;
  signatures: Set<string>;
  finish: () => void;
}

/** Safelight's frames, or the sender's `send` frame that the bare relay forwards verbatim. */
type Frame = ServerFrame | SendFrame;

export class RelayHarness {
  private run: Run | undefined;
  private unexpected = 0;

  private constructor(
    private readonly conns: Conn[],
    private readonly opts: HarnessOptions,
  ) {}

  /** Opens every client's socket (untimed); resolves when all are open. */
  static async connect(clients: HarnessClient[], opts: HarnessOptions): Promise<RelayHarness> {
    const conns: Conn[] = clients.map((client) => ({
      ws: new WebSocket(client.url, { headers: client.headers, perMessageDeflate: false }),
      client,
      nextSend: 0,
      inFlight: 0,
      nextRecv: 0,
      sendTimes: new Float64Array(client.frames.length),
      pendingAcks: [],
      ackTimer: undefined,
    }));
    const harness = new RelayHarness(conns, opts);
    await Promise.all(
      conns.map(
        (conn) =>
          new Promise<void>((resolve, reject) => {
            conn.ws.once("open", () => resolve());
            conn.ws.once("error", reject);
            conn.ws.once("unexpected-response", (_req, res) => reject(new Error(`ws upgrade refused: ${res.statusCode}`)));
          }),
      ),
    );
    for (const conn of conns) conn.ws.on("message", (data) => harness.onFrame(conn, data as Buffer));
    return harness;
  }

  /** Every client sends its frames [from, to) to its peer; resolves when all are delivered (and, for
   *  Safelight, every `sent` reply has arrived). */
  runRange(from: number, to: number, pacedPerClientPerSec?: number): Promise<RangeResult> {
    const n = this.conns.length * (to - from);
    return new Promise<RangeResult>((resolve, reject) => {
      let ticker: NodeJS.Timeout | undefined;
      let lastCount = -1;
      let lastProgress = performance.now();
      const watchdog = setInterval(() => {
        const run = this.run;
        if (run === undefined) return;
        if (run.count !== lastCount) {
          lastCount = run.count;
          lastProgress = performance.now();
        } else if (performance.now() - lastProgress > this.opts.stallMs) {
          clearInterval(watchdog);
          clearInterval(ticker);
          this.run = undefined;
          reject(
            new Error(
              `stalled: ${run.count}/${n} delivered, ${run.sentReplies}/${run.expectedSentReplies} sent replies, ` +
                `errors: ${run.errors.slice(0, 3).join("; ") || "none"}`,
            ),
          );
        }
      }, 250);
      const run: Run = {
        to,
        paced: pacedPerClientPerSec !== undefined,
        latencies: new Float64Array(n),
        count: 0,
        firstSend: 0,
        lastDelivery: 0,
        clientsDone: 0,
        sentReplies: 0,
        expectedSentReplies: this.opts.expectSentReplies ? n : 0,
        errors: [],
        mismatches: 0,
        signatures: new Set(),
        finish: () => {
          clearInterval(watchdog);
          clearInterval(ticker);
          this.run = undefined;
          for (const conn of this.conns) this.flushAcks(conn);
          resolve({
            delivered: run.count,
            elapsedMs: run.lastDelivery - run.firstSend,
            latenciesMs: run.latencies,
            sentReplies: run.sentReplies,
            errors: run.errors,
            mismatches: run.mismatches,
            frankBatches: run.signatures.size,
          });
        },
      };
      this.run = run;
      for (const conn of this.conns) {
        conn.nextSend = from;
        conn.nextRecv = from;
        conn.inFlight = 0;
      }
      run.firstSend = performance.now();
      if (pacedPerClientPerSec === undefined) {
        for (const conn of this.conns) this.pump(conn);
        return;
      }
      // Message j of client i is due at firstSend + (j + i / clients) × interval: staggered, not in bursts.
      const interval = 1000 / pacedPerClientPerSec;
      const clients = this.conns.length;
      this.conns.forEach((conn, i) => {
        for (let k = from; k < to; k++) conn.sendTimes[k] = run.firstSend + (k - from + i / clients) * interval;
      });
      const tick = () => {
        const now = performance.now();
        for (const conn of this.conns) {
          while (conn.nextSend < to && (conn.sendTimes[conn.nextSend] as number) <= now) {
            conn.ws.send(conn.client.frames[conn.nextSend++] as string);
          }
        }
      };
      ticker = setInterval(tick, 1);
      tick();
    });
  }

  async close(): Promise<void> {
    await Promise.all(
      this.conns.map(
        (conn) =>
          new Promise<void>((resolve) => {
            if (conn.ackTimer !== undefined) clearTimeout(conn.ackTimer);
            if (conn.ws.readyState === WebSocket.CLOSED) return resolve();
            conn.ws.once("close", () => resolve());
            conn.ws.close();
          }),
      ),
    );
  }

  /** Frames that arrived while no run was active (should be 0). */
  get strayFrames(): number {
    return this.unexpected;
  }

  private pump(conn: Conn): void {
    const run = this.run;
    if (run === undefined) return;
    while (conn.inFlight < this.opts.window && conn.nextSend < run.to) {
      const k = conn.nextSend++;
      conn.inFlight++;
      conn.sendTimes[k] = performance.now();
      conn.ws.send(conn.client.frames[k] as string);
    }
  }

  private onFrame(conn: Conn, data: Buffer): void {
    const run = this.run;
    const frame = JSON.parse(data.toString("utf8")) as Frame;
    if (run === undefined) {
      this.unexpected++;
      return;
    }
    switch (frame.type) {
      case "item":
        // Safelight pushes a queue item; its id is what the recipient acknowledges.
        if (frame.item.kind !== "application" || frame.item.data === undefined) {
          run.errors.push(`unexpected item kind ${frame.item.kind}`);
          return;
        }
        // Messages stamped in one server turn share a batch signature (docs/franking.md).
        if (frame.item.frank?.signature !== undefined) run.signatures.add(frame.item.frank.signature);
        this.deliver(run, conn, frame.item.data, frame.item.id);
        return;
      case "send":
        // The bare relay forwards the sender's frame verbatim.
        this.deliver(run, conn, frame.message, frame.reqId);
        return;
      case "sent":
        run.sentReplies++;
        this.maybeFinish(run);
        return;
      case "error":
        run.errors.push(`${frame.code}: ${frame.message}`);
        return;
    }
  }

  private deliver(run: Run, conn: Conn, message: string, ackId: string): void {
    const now = performance.now();
    const k = conn.nextRecv++;
    const sender = this.conns[conn.client.peer] as Conn;
    if (message !== conn.client.expected[k]) run.mismatches++;
    run.latencies[run.count++] = now - (sender.sendTimes[k] as number);
    run.lastDelivery = now;
    if (conn.nextRecv === run.to) run.clientsDone++;
    conn.pendingAcks.push(ackId);
    if (conn.pendingAcks.length >= this.opts.ackBatch) this.flushAcks(conn);
    else conn.ackTimer ??= setTimeout(() => this.flushAcks(conn), this.opts.ackDelayMs);
    if (!run.paced) {
      sender.inFlight--;
      this.pump(sender);
    }
    this.maybeFinish(run);
  }

  private flushAcks(conn: Conn): void {
    if (conn.ackTimer !== undefined) clearTimeout(conn.ackTimer);
    conn.ackTimer = undefined;
    if (conn.pendingAcks.length === 0) return;
    conn.ws.send(JSON.stringify({ type: "ack", ids: conn.pendingAcks }));
    conn.pendingAcks = [];
  }

  private maybeFinish(run: Run): void {
    if (run.clientsDone === this.conns.length && run.sentReplies >= run.expectedSentReplies && this.run === run) run.finish();
  }
}
