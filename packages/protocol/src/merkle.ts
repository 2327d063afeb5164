/**
 * Merkle Tree Hash and inclusion proofs exactly as Certificate Transparency defines them (RFC 9162 §2.1,
 * SHA-256): leaf hash = SHA-256(0x00 ‖ leaf), interior node = SHA-256(0x01 ‖ left ‖ right), and for n > 1
 * leaves the left subtree holds the largest power of two smaller than n. The distinct 0x00/0x01 prefixes
 * keep a leaf from ever hashing like an interior node (no second preimage by presenting a subtree as a
 * leaf). The franking batch signature (docs/franking.md) signs such a root; this is the reference code,
 * written for clarity (pure JS, runs in the browser). The server builds the same tree with node:crypto.
 */
import { sha256 } from "@noble/hashes/sha2.js";

const HASH_BYTES = 32;
const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

function hashOf(prefix: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = sha256.create().update(prefix);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** RFC 9162 §2.1.1: the hash of one leaf, SHA-256(0x00 ‖ leaf). */
export function merkleLeafHash(leaf: Uint8Array): Uint8Array {
  return hashOf(LEAF_PREFIX, leaf);
}

/** RFC 9162 §2.1.1: an interior node, SHA-256(0x01 ‖ left ‖ right). */
export function merkleNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return hashOf(NODE_PREFIX, left, right);
}

/** The largest power of two strictly smaller than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The Merkle Tree Hash of `leaves` (RFC 9162 §2.1.1) and, for every leaf m, its inclusion path
 * PATH(m, D[n]) (§2.1.3.1): sibling hashes from the leaf up to the root. Follows the recursive
 * definitions directly. A batch is never empty, so an empty list is refused.
 */
export function merkleTree(leaves: readonly Uint8Array[]): { root: Uint8Array; paths: Uint8Array[][] } {
  if (leaves.length === 0) throw new RangeError("a Merkle tree needs at least one leaf");
  return subtree(leaves.map(merkleLeafHash));
}

function subtree(hashes: Uint8Array[]): { root: Uint8Array; paths: Uint8Array[][] } {
  if (hashes.length === 1) return { root: hashes[0]!, paths: [[]] };
  const k = split(hashes.length);
  const left = subtree(hashes.slice(0, k));
  const right = subtree(hashes.slice(k));
  return {
    root: merkleNodeHash(left.root, right.root),
    paths: [...left.paths.map((p) => [...p, right.root]), ...right.paths.map((p) => [...p, left.root])],
  };
}

/**
 * RFC 9162 §2.1.3.2: the root that an inclusion path proves `leafHash` is leaf `leafIndex` of, in a tree
 * of `treeSize` leaves; undefined when the proof is malformed (index not below size, a path too short or
 * too long for that position, a path element that is not a 32-byte hash). The caller compares the result
 * with a root it trusts (here: one the server signed).
 */
export function merkleRootFromInclusionProof(
  leafHash: Uint8Array,
  leafIndex: number,
  treeSize: number,
  path: readonly Uint8Array[],
): Uint8Array | undefined {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0 || leafIndex >= treeSize) return undefined;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of path) {
    if (p.length !== HASH_BYTES || sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = merkleNodeHash(p, r);
      // A right-edge node with no sibling at this level moves up unchanged: skip those levels.
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = merkleNodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}
