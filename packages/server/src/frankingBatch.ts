/**
 * One franking batch (docs/franking.md), computed with node:crypto on the franking worker
 * (frankingWorker.ts): for every message the server frank HMAC-SHA256(K_frank, franking_tag ‖ context)
 * and its leaf, the RFC 9162 tree over the leaves, one Ed25519 signature over (tree size, root), and each
 * message's inclusion path. Also the two hand-over formats between the event loop and the worker, chosen
 * so that crossing the thread boundary costs one buffer transfer one way and one string copy back (a
 * structured clone of per-message objects and path arrays cost more than the hashing it moved):
 * - in: one ArrayBuffer of items, each `tag (32 bytes) ‖ uint16 context length ‖ encoded context`;
 * - out: one ASCII string, `n server franks ‖ signature ‖ every tree node, level by level from the leaf
 *   hashes up to the root`, each a fixed-width base64url field (43 characters for 32 bytes, 86 for 64).
 * Pure, so tests can compare it with @safelight/protocol's reference functions.
 */
import { createHmac, createPrivateKey, hash, sign, type KeyObject } from "node:crypto";
import { FRANKING_TAG_BYTES, encodeFrankContext, frankBatchSignatureInput, frankLeaf, type FrankContext } from "@safelight/protocol";
import { inclusionPath, merkleLevels } from "./merkle.js";

/** A message to stamp, as the worker sees it: its tag and its already encoded context. */
export interface BatchItem {
  tag: Uint8Array;
  context: Uint8Array;
}

export interface SignedBatch {
  /** base64url Ed25519 signature over the batch's tree head. */
  signature: string;
  /** Per item, in order: base64url server frank and inclusion path. */
  serverFranks: string[];
  paths: string[][];
}

/** PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410 §7), imported once per key by the caller. */
export function ed25519SigningKey(seed: Uint8Array): KeyObject {
  const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}

/** Packs a batch's tags and contexts for the worker (the event loop's side: context encoding only). */
export function packBatch(items: readonly { tag: Uint8Array; context: FrankContext }[]): ArrayBuffer {
  const contexts = items.map((i) => encodeFrankContext(i.context));
  const size = contexts.reduce((n, c) => n + FRANKING_TAG_BYTES + 2 + c.length, 0);
  const out = Buffer.from(new ArrayBuffer(size));
  let at = 0;
  items.forEach(({ tag }, i) => {
    const context = contexts[i]!;
    if (tag.length !== FRANKING_TAG_BYTES) throw new Error("franking tag must be 32 bytes");
    if (context.length > 0xffff) throw new Error("franking context too long");
    out.set(tag, at);
    out.writeUInt16BE(context.length, at + FRANKING_TAG_BYTES);
    out.set(context, at + FRANKING_TAG_BYTES + 2);
    at += FRANKING_TAG_BYTES + 2 + context.length;
  });
  return out.buffer;
}

/** The worker's side of packBatch. */
export function unpackBatch(packed: ArrayBuffer): BatchItem[] {
  const bytes = Buffer.from(packed);
  const items: BatchItem[] = [];
  for (let at = 0; at < bytes.length; ) {
    const tag = bytes.subarray(at, at + FRANKING_TAG_BYTES);
    const length = bytes.readUInt16BE(at + FRANKING_TAG_BYTES);
    const context = bytes.subarray(at + FRANKING_TAG_BYTES + 2, at + FRANKING_TAG_BYTES + 2 + length);
    if (context.length !== length) throw new Error("truncated franking batch");
    items.push({ tag, context });
    at += FRANKING_TAG_BYTES + 2 + length;
  }
  return items;
}

// 0x00 ‖ the leaf label: an RFC 9162 leaf hash of frankLeaf(frank, context) is SHA-256 of this ‖ frank ‖
// context, hashed straight from the parts (one buffer, no intermediate leaf).
const LEAF_PREFIX = Buffer.concat([Buffer.from([0]), frankLeaf(new Uint8Array(0), new Uint8Array(0))]);
const HASH_B64 = 43;
const SIGNATURE_B64 = 86;

/** Stamps a batch; returns it in the worker's output format (see the top of this file). */
export function signFrankBatch(hmacKey: Uint8Array, signingKey: KeyObject, items: readonly BatchItem[]): string {
  const franks: string[] = [];
  const leafHashes: Buffer[] = [];
  for (const { tag, context } of items) {
    const frank = createHmac("sha256", hmacKey).update(tag).update(context).digest();
    franks.push(frank.toString("base64url"));
    leafHashes.push(hash("sha256", Buffer.concat([LEAF_PREFIX, frank, context]), "buffer"));
  }
  const levels = merkleLevels(leafHashes);
  const signature = sign(null, frankBatchSignatureInput(items.length, levels.at(-1)![0]!), signingKey).toString("base64url");
  const nodes = levels.flatMap((level) => level.map((node) => node.toString("base64url")));
  return franks.join("") + signature + nodes.join("");
}

/** Reads signFrankBatch's output for a batch of `n` items (the event loop's side). Each tree node is
 *  sliced out once and shared by the paths that contain it. */
export function readSignedBatch(text: string, n: number): SignedBatch {
  const field = (i: number, width = HASH_B64, from = 0) => text.slice(from + i * width, from + (i + 1) * width);
  const serverFranks = Array.from({ length: n }, (_, i) => field(i));
  const signature = field(0, SIGNATURE_B64, n * HASH_B64);
  const levels: string[][] = [];
  let at = n * HASH_B64 + SIGNATURE_B64;
  for (let size = n; ; size = Math.ceil(size / 2)) {
    const from = at;
    levels.push(Array.from({ length: size }, (_, i) => field(i, HASH_B64, from)));
    at += size * HASH_B64;
    if (size === 1) break;
  }
  if (at !== text.length) throw new Error(`franking batch of ${n} has ${text.length} characters, expected ${at}`);
  return { signature, serverFranks, paths: serverFranks.map((_, i) => inclusionPath(levels, i)) };
}
