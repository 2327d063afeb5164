/**
 * The event loop's side of the franking worker (frankingWorker.ts): hands a packed batch over and
 * resolves with its signature, franks and paths. One worker, started on first use and not keeping the
 * process alive; if it dies, the batches it held are rejected and the next batch starts a new one.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { FrankContext } from "@safelight/protocol";
import { packBatch, readSignedBatch, type SignedBatch } from "./frankingBatch.js";
import type { BatchReply, BatchRequest } from "./frankingWorker.js";
import type { FrankingKeyRecord } from "./storage/types.js";

function workerUrl(): URL {
  const beside = new URL("./frankingWorker.js", import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  // Tests run the TypeScript sources (src/*.ts) but a worker needs JavaScript: use the build's copy.
  const built = new URL("../dist/frankingWorker.js", import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error("frankingWorker.js not found: build the server first (npm run build)");
}

interface InFlight {
  size: number;
  resolve: (batch: SignedBatch) => void;
  reject: (error: Error) => void;
}

export class FrankingSigner {
  private worker: Worker | undefined;
  private readonly inFlight = new Map<number, InFlight>();
  /** Key ids the current worker has been given. */
  private keysSent = new Set<string>();
  private seq = 0;

  /** Async so that a batch it cannot pack rejects like one the worker failed. */
  async sign(key: FrankingKeyRecord, items: readonly { tag: Uint8Array; context: FrankContext }[]): Promise<SignedBatch> {
    const packed = packBatch(items);
    const worker = this.worker ?? this.start();
    const seq = this.seq++;
    return new Promise<SignedBatch>((resolve, reject) => {
      this.inFlight.set(seq, { size: items.length, resolve, reject });
      const req: BatchRequest = { seq, keyId: key.keyId, packed };
      if (!this.keysSent.has(key.keyId)) {
        // Copies of just the key bytes: a structured clone copies a view's whole underlying buffer.
        req.key = { hmacKey: key.hmacKey.slice(), signKey: key.signKey.slice() };
        this.keysSent.add(key.keyId);
      }
      worker.postMessage(req, [packed]);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.fail(new Error("franking signer closed"));
    await worker?.terminate();
  }

  private start(): Worker {
    // A worker inherits the process's node flags; `--input-type` (a server started with `node -e`) would
    // stop it from loading its file.
    const worker = new Worker(workerUrl(), { execArgv: process.execArgv.filter((arg) => !arg.startsWith("--input-type")) });
    worker.unref();
    this.keysSent = new Set();
    worker.on("message", (reply: BatchReply) => {
      const waiting = this.inFlight.get(reply.seq);
      if (waiting === undefined) return;
      this.inFlight.delete(reply.seq);
      if ("error" in reply) return waiting.reject(new Error(`franking batch failed: ${reply.error}`));
      try {
        waiting.resolve(readSignedBatch(reply.text, waiting.size));
      } catch (error) {
        waiting.reject(error as Error);
      }
    });
    const lost = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.fail(error);
    };
    worker.on("error", lost);
    worker.on("exit", (code) => lost(new Error(`franking worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private fail(error: Error): void {
    for (const waiting of this.inFlight.values()) waiting.reject(error);
    this.inFlight.clear();
  }
}
