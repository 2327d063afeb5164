/**
 * One franking batch (docs/franking.md), computed with node:crypto for the server's hot path: for every
 * message the server frank HMAC-SHA256(K_frank, franking_tag ‖ context) and its leaf, the RFC 9162 tree
 * over the leaves (merkle.ts's construction with nodeMerkle.ts's hashes), one Ed25519 signature over
 * (tree size, root), and each message's inclusion path. Equal to franking.ts's computeServerFrank,
 * frankLeaf and merkleTree (tested). Node only, like nodeProvider.ts.
 */
import { createHmac, createPrivateKey, hash, sign, type KeyObject } from "node:crypto";
import { toB64 } from "../base64.js";
import { encodeFrankContext, frankBatchSignatureInput, frankLeaf, type FrankContext } from "../franking.js";
import { inclusionPath, merkleLevels } from "../merkle.js";
import { ed25519SeedToPkcs8 } from "./ed25519Der.js";
import { nodeHashBase64url } from "./nodeMerkle.js";

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

/** A raw 32-byte Ed25519 seed as a node:crypto signing key (RFC 8410 PKCS#8), imported once per key by
 *  the caller. */
export function ed25519SigningKey(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.from(ed25519SeedToPkcs8(seed)), format: "der", type: "pkcs8" });
}

// 0x00 ‖ the leaf label: an RFC 9162 leaf hash of frankLeaf(frank, context) is SHA-256 of this ‖ frank ‖
// context, hashed straight from the parts (one buffer, no intermediate leaf).
const LEAF_PREFIX = Buffer.concat([Buffer.from([0]), frankLeaf(new Uint8Array(0), new Uint8Array(0))]);

export function signFrankBatch(hmacKey: Uint8Array, signingKey: KeyObject, items: readonly BatchItem[]): SignedBatch {
  // Hashes are asked for as base64url strings, which is what a stamp carries: a Buffer answer is a native
  // allocation of its own (the garbage collector pays for it again), while the few bytes a later hash
  // needs decode into pooled memory. A quarter less CPU per message than Buffers encoded afterwards.
  const serverFranks: string[] = [];
  const leafHashes: string[] = [];
  for (const { tag, context } of items) {
    const encoded = encodeFrankContext(context);
    const frank = createHmac("sha256", hmacKey).update(tag).update(encoded).digest("base64url");
    serverFranks.push(frank);
    leafHashes.push(hash("sha256", Buffer.concat([LEAF_PREFIX, Buffer.from(frank, "base64url"), encoded]), "base64url"));
  }
  const levels = merkleLevels(leafHashes, nodeHashBase64url);
  const root = Buffer.from(levels.at(-1)![0]!, "base64url");
  const signature = toB64(sign(null, frankBatchSignatureInput(items.length, root), signingKey));
  return { signature, serverFranks, paths: items.map((_, i) => inclusionPath(levels, i)) };
}
