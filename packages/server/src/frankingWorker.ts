/**
 * Worker thread that signs franking batches (docs/franking.md), so the HMACs, tree hashes and signature
 * of every message run beside the event loop that serves sockets and storage, not on it. In: a
 * BatchRequest with the packed items (transferred, not copied); out: {seq, text} in frankingBatch.ts's
 * output format, or {seq, error}. Each key comes once, with its first batch, and is imported then.
 */
import type { KeyObject } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { ed25519SigningKey, signFrankBatch, unpackBatch } from "./frankingBatch.js";

export interface BatchRequest {
  seq: number;
  keyId: string;
  /** Sent with the first batch of each key only: the worker keeps it. */
  key?: { hmacKey: Uint8Array; signKey: Uint8Array };
  packed: ArrayBuffer;
}

export type BatchReply = { seq: number; text: string } | { seq: number; error: string };

const keys = new Map<string, { hmacKey: Uint8Array; signingKey: KeyObject }>();
const port = parentPort;
if (port === null) throw new Error("frankingWorker runs as a worker thread");

port.on("message", (req: BatchRequest) => {
  let reply: BatchReply;
  try {
    if (req.key !== undefined) keys.set(req.keyId, { hmacKey: req.key.hmacKey, signingKey: ed25519SigningKey(req.key.signKey) });
    const key = keys.get(req.keyId);
    if (key === undefined) throw new Error(`franking key ${req.keyId} was never sent`);
    reply = { seq: req.seq, text: signFrankBatch(key.hmacKey, key.signingKey, unpackBatch(req.packed)) };
  } catch (err) {
    reply = { seq: req.seq, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
