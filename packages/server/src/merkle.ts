/**
 * Merkle tree hash of RFC 6962 / RFC 9162 §2.1 with node:crypto, for the server's hot and bulk paths:
 * leaf = SHA-256(0x00 ‖ leaf), node = SHA-256(0x01 ‖ left ‖ right), and a list of n > 1 leaves splits at
 * the largest power of two below n (so an odd node is never duplicated: it is carried up unchanged).
 * Empty = SHA-256(""). Used for the known-image hash lists (docs/known-images.md: leaves are the distinct
 * PDQ hashes sorted by their bytes) and for franking batches (docs/franking.md: with inclusion paths;
 * equal to @safelight/protocol's reference merkleTree, tested).
 */
import { createHash, hash } from "node:crypto";

// One-shot hashing (node:crypto `hash`, Node ≥ 20.12): a third of the cost of a Hash object for inputs
// this small, and a franking batch hashes about two per message.
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);
const leafHash = (h: Uint8Array): Buffer => hash("sha256", Buffer.concat([LEAF, h]), "buffer");
/** RFC 9162 interior node hash of two child hashes. */
export const nodeHash = (l: Buffer, r: Buffer): Buffer => hash("sha256", Buffer.concat([NODE, l, r]), "buffer");
/** The same over base64url-encoded hashes, answering base64url: a Buffer answer is a native allocation of
 *  its own, which costs more than decoding two 43-character strings into pooled memory (franking batches,
 *  where the encoded nodes are what the inclusion paths carry anyway). */
export const nodeHashBase64url = (l: string, r: string): string =>
  hash("sha256", Buffer.concat([NODE, Buffer.from(l, "base64url"), Buffer.from(r, "base64url")]), "base64url");

/** Sorts and de-duplicates 32-byte hashes. */
export function sortedDistinct(hashes: Iterable<Uint8Array>): Buffer[] {
  const all = Array.from(hashes, (h) => Buffer.from(h));
  all.sort(Buffer.compare);
  return all.filter((h, i) => i === 0 || !h.equals(all[i - 1]!));
}

/** RFC 6962 Merkle tree hash of already sorted leaves, iteratively (level by level, odd node carried up). */
export function merkleRoot(sorted: readonly Uint8Array[]): Buffer {
  if (sorted.length === 0) return createHash("sha256").digest();
  // Lists have millions of leaves: keep one level at a time.
  let level = sorted.map(leafHash);
  while (level.length > 1) level = parentLevel(level, nodeHash);
  return level[0]!;
}

/** The level above: nodes paired left to right, an odd last node carried up unchanged, which gives exactly
 *  RFC 6962's split at the largest power of two below n. */
function parentLevel<T>(level: readonly T[], node: (l: T, r: T) => T): T[] {
  const next: T[] = [];
  for (let i = 0; i + 1 < level.length; i += 2) next.push(node(level[i]!, level[i + 1]!));
  if (level.length % 2 === 1) next.push(level[level.length - 1]!);
  return next;
}

/** Every level of the tree over these leaf hashes (RFC 9162 leaf hashes, `0x00`-prefixed), from the
 *  leaves up to `[root]`: n − 1 node hashes for n leaves, made by `node` (nodeHash, or
 *  nodeHashBase64url for encoded hashes). */
export function merkleLevels<T>(leafHashes: T[], node: (l: T, r: T) => T): T[][] {
  const levels = [leafHashes];
  while (levels.at(-1)!.length > 1) levels.push(parentLevel(levels.at(-1)!, node));
  return levels;
}

/** Leaf m's siblings from the bottom level up, where it has one (a carried-up node has none). */
export function inclusionPath<T>(levels: readonly (readonly T[])[], m: number): T[] {
  const path: T[] = [];
  for (let depth = 0; depth < levels.length - 1; depth++) {
    const sibling = levels[depth]![(m >> depth) ^ 1];
    if (sibling !== undefined) path.push(sibling);
  }
  return path;
}

/** The recursive definition straight from RFC 6962, for tests. */
export function merkleRootRecursive(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return createHash("sha256").digest();
  if (leaves.length === 1) return leafHash(leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(merkleRootRecursive(leaves.slice(0, k)), merkleRootRecursive(leaves.slice(k)));
}
