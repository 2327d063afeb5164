/**
 * One franking batch (docs/franking.md), computed with node:crypto: for every message the server frank
 * HMAC-SHA256(K_frank, franking_tag ‖ context) and its leaf, the RFC 9162 tree over the leaves, one
 * Ed25519 signature over (tree size, root), and each message's inclusion path. Pure, so tests can compare
 * it with @safelight/protocol's reference functions.
 */
import { createHmac, createPrivateKey, sign, type KeyObject } from "node:crypto";
import { encodeFrankContext, frankBatchSignatureInput, frankLeaf, toB64, type FrankContext } from "@safelight/protocol";
import { merkleTreeWithPaths } from "./merkle.js";

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

export function signFrankBatch(hmacKey: Uint8Array, signingKey: KeyObject, items: readonly BatchItem[]): SignedBatch {
  const franks: Buffer[] = [];
  const leaves: Uint8Array[] = [];
  for (const { tag, context } of items) {
    const encoded = encodeFrankContext(context);
    const frank = createHmac("sha256", hmacKey).update(tag).update(encoded).digest();
    franks.push(frank);
    leaves.push(frankLeaf(frank, encoded));
  }
  const tree = merkleTreeWithPaths(leaves);
  const signature = toB64(sign(null, frankBatchSignatureInput(items.length, tree.root), signingKey));
  // Paths share their nodes (the same Buffer objects): encode each node once, not once per path.
  const encodedNodes = new Map<Buffer, string>();
  const b64 = (node: Buffer): string => {
    let text = encodedNodes.get(node);
    if (text === undefined) encodedNodes.set(node, (text = toB64(node)));
    return text;
  };
  return { signature, serverFranks: franks.map(toB64), paths: tree.paths.map((path) => path.map(b64)) };
}
