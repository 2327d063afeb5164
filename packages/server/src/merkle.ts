/**
 * The Merkle tree code lives in @safelight/protocol (merkle.ts, and its node:crypto hashes in
 * `@safelight/protocol/node`); this module only keeps the names the server's tests import.
 */
import { createHash } from "node:crypto";
import { merkleTree } from "@safelight/protocol";

export { inclusionPath, merkleLevels } from "@safelight/protocol";
export { merkleRoot, nodeHash, nodeHashBase64url } from "@safelight/protocol/node";

/** The root by protocol's pure-JS merkleTree (@noble/hashes), SHA-256("") for no leaves: what tests compare
 *  the node:crypto merkleRoot with. */
export function merkleRootRecursive(leaves: readonly Uint8Array[]): Buffer {
  return leaves.length === 0 ? createHash("sha256").digest() : Buffer.from(merkleTree(leaves).root);
}
