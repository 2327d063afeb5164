/**
 * Worker thread that signs franking batches (docs/franking.md), so the HMACs, tree hashes and signature
 * of every message run beside the event loop that serves sockets and storage, not on it. In: a
 * BatchRequest with the packed items (transferred, not copied); out: {seq, text} in frankingBatch.ts's
 * output format, or {seq, error}. Signing keys are imported once per key id.
 */
import type { KeyObject } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { ed25519SigningKey, signFrankBatch, unpackBatch } from "./frankingBatch.js";

export interface BatchRequest {
  seq: number;
  keyId: string;
  hmacKey: Uint8Array;
  signKey: Uint8Array;
  packed: ArrayBuffer;
}

export type BatchReply = { seq: number; text: string } | { seq: number; error: string };

const signingKeys = new Map<string, KeyObject>();
const port = parentPort;
if (port === null) throw new Error("frankingWorker runs as a worker thread");

port.on("message", (req: BatchRequest) => {
  let reply: BatchReply;
  try {
    let key = signingKeys.get(req.keyId);
    if (key === undefined) signingKeys.set(req.keyId, (key = ed25519SigningKey(req.signKey)));
    reply = { seq: req.seq, text: signFrankBatch(req.hmacKey, key, unpackBatch(req.packed)) };
  } catch (err) {
    reply = { seq: req.seq, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
