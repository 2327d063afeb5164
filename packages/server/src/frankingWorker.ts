/**
 * Worker thread that signs franking batches (docs/franking.md), so the HMACs, tree hashes and signature
 * of every message run beside the event loop that serves sockets and storage, not on it. Messages in:
 * {seq, keyId, hmacKey, signKey, items}; out: {seq, batch} or {seq, error}. Keys are imported once per id.
 */
import type { KeyObject } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { ed25519SigningKey, signFrankBatch, type BatchItem, type SignedBatch } from "./frankingBatch.js";

export interface BatchRequest {
  seq: number;
  keyId: string;
  hmacKey: Uint8Array;
  signKey: Uint8Array;
  items: BatchItem[];
}

export type BatchReply = { seq: number; batch: SignedBatch } | { seq: number; error: string };

const signingKeys = new Map<string, KeyObject>();
const port = parentPort;
if (port === null) throw new Error("frankingWorker runs as a worker thread");

port.on("message", (req: BatchRequest) => {
  let reply: BatchReply;
  try {
    let key = signingKeys.get(req.keyId);
    if (key === undefined) signingKeys.set(req.keyId, (key = ed25519SigningKey(req.signKey)));
    reply = { seq: req.seq, batch: signFrankBatch(req.hmacKey, key, req.items) };
  } catch (err) {
    reply = { seq: req.seq, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
