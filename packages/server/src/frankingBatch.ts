/**
 * One franking batch (docs/franking.md), computed with node:crypto: for every message the server frank
 * HMAC-SHA256(K_frank, franking_tag ‖ context) and its leaf, the RFC 9162 tree over the leaves, one
 * Ed25519 signature over (tree size, root), and each message's inclusion path. Pure, so tests can compare
 * it with @safelight/protocol's reference functions.
 */
import { createHmac, createPrivateKey, hash, sign, type KeyObject } from "node:crypto";
import { encodeFrankContext, frankBatchSignatureInput, frankLeaf, toB64, type FrankContext } from "@safelight/protocol";
import { inclusionPath, merkleLevels } from "./merkle.js";

export interface BatchItem {
  tag: Uint8Array;
  context: FrankContext;
}

export interface SignedBatch {
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

// 0x00 ‖ the leaf label: an RFC 9162 leaf hash of frankLeaf(frank, context) is SHA-256 of this ‖ frank ‖
// context, hashed straight from the parts (one buffer, no intermediate leaf).
const LEAF_PREFIX = Buffer.concat([Buffer.from([0]), frankLeaf(new Uint8Array(0), new Uint8Array(0))]);

export function signFrankBatch(hmacKey: Uint8Array, signingKey: KeyObject, items: readonly BatchItem[]): SignedBatch {
  const serverFranks: string[] = [];
  const leafHashes: Buffer[] = [];
  for (const { tag, context } of items) {
    const encoded = encodeFrankContext(context);
    const frank = createHmac("sha256", hmacKey).update(tag).update(encoded).digest();
    serverFranks.push(frank.toString("base64url"));
    leafHashes.push(hash("sha256", Buffer.concat([LEAF_PREFIX, frank, encoded]), "buffer"));
  }
  const levels = merkleLevels(leafHashes);
  const signature = toB64(sign(null, frankBatchSignatureInput(items.length, levels.at(-1)![0]!), signingKey));
  // Paths share their nodes: encode each node once (about 2n), then pick the siblings.
  const encodedLevels = levels.map((level) => level.map((node) => node.toString("base64url")));
  return { signature, serverFranks, paths: items.map((_, i) => inclusionPath(encodedLevels, i)) };
}
