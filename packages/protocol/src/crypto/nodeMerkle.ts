/**
 * node:crypto SHA-256 for the RFC 9162 Merkle tree of merkle.ts (same construction: merkleLevels,
 * inclusionPath, merkleRootOfLeafHashes), for the server's hot and bulk paths: franking batches
 * (docs/franking.md) and the known-image hash lists (docs/known-images.md: leaves are the distinct PDQ
 * hashes sorted by their bytes). Node only, like nodeProvider.ts.
 */
import { createHash, hash } from "node:crypto";
import { merkleRootOfLeafHashes } from "../merkle.js";

// One-shot hashing (node:crypto `hash`, Node ≥ 20.12): a third of the cost of a Hash object for inputs
// this small, and a franking batch hashes about two per message.
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);
/** RFC 9162 leaf hash, SHA-256(0x00 ‖ leaf). */
export const nodeLeafHash = (leaf: Uint8Array): Buffer => hash("sha256", Buffer.concat([LEAF, leaf]), "buffer");
/** RFC 9162 interior node hash of two child hashes. */
export const nodeHash = (l: Buffer, r: Buffer): Buffer => hash("sha256", Buffer.concat([NODE, l, r]), "buffer");
/** The same over base64url-encoded hashes, answering base64url: a Buffer answer is a native allocation of
 *  its own, which costs more than decoding two 43-character strings into pooled memory (franking batches,
 *  where the encoded nodes are what the inclusion paths carry anyway). */
export const nodeHashBase64url = (l: string, r: string): string =>
  hash("sha256", Buffer.concat([NODE, Buffer.from(l, "base64url"), Buffer.from(r, "base64url")]), "base64url");

/** RFC 9162 Merkle tree hash of already sorted leaves, one level at a time; the empty list's is SHA-256(""). */
export function merkleRoot(sorted: readonly Uint8Array[]): Buffer {
  if (sorted.length === 0) return createHash("sha256").digest();
  return merkleRootOfLeafHashes(sorted.map(nodeLeafHash), nodeHash);
}
