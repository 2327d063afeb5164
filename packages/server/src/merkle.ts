/**
 * Merkle tree hash of RFC 6962 §2.1 over 32-byte PDQ hashes (docs/known-images.md):
 * leaves are the distinct hashes sorted by their bytes (= by their hex text), leaf = SHA-256(0x00 ‖ hash),
 * node = SHA-256(0x01 ‖ left ‖ right), and a list of n > 1 leaves splits at the largest power of two below n
 * (so an odd node is never duplicated: it is carried up unchanged). Empty = SHA-256("").
 */
import { createHash } from "node:crypto";

const leafHash = (h: Uint8Array): Buffer => createHash("sha256").update(Buffer.from([0])).update(h).digest();
const nodeHash = (l: Buffer, r: Buffer): Buffer => createHash("sha256").update(Buffer.from([1])).update(l).update(r).digest();

/** Sorts and de-duplicates 32-byte hashes. */
export function sortedDistinct(hashes: Iterable<Uint8Array>): Buffer[] {
  const all = Array.from(hashes, (h) => Buffer.from(h));
  all.sort(Buffer.compare);
  return all.filter((h, i) => i === 0 || !h.equals(all[i - 1]!));
}

/** RFC 6962 Merkle tree hash of already sorted leaves, iteratively (level by level, odd node carried up). */
export function merkleRoot(sorted: readonly Uint8Array[]): Buffer {
  if (sorted.length === 0) return createHash("sha256").digest();
  let level = sorted.map(leafHash);
  // Pairing left to right and carrying the odd last node up gives exactly RFC 6962's split at the
  // largest power of two below n.
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/** The recursive definition straight from RFC 6962, for tests. */
export function merkleRootRecursive(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return createHash("sha256").digest();
  if (leaves.length === 1) return leafHash(leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(merkleRootRecursive(leaves.slice(0, k)), merkleRootRecursive(leaves.slice(k)));
}
