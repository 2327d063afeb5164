/**
 * Merkle Tree Hash and inclusion proofs exactly as Certificate Transparency defines them (RFC 9162 §2.1,
 * SHA-256): leaf hash = SHA-256(0x00 ‖ leaf), interior node = SHA-256(0x01 ‖ left ‖ right), and for n > 1
 * leaves the left subtree holds the largest power of two smaller than n. The distinct 0x00/0x01 prefixes
 * keep a leaf from ever hashing like an interior node (no second preimage by presenting a subtree as a
 * leaf). The franking batch signature (docs/franking.md) signs such a root. This module is
 * pure JS (runs in the browser); `@safelight/protocol/node` (crypto/nodeMerkle.ts) plugs node:crypto's
 * SHA-256 into the same construction for the server.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { constantTimeEqual } from "./attachment.js";

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

/**
 * The Merkle Tree Hash of `leaves` (RFC 9162 §2.1.1) and, for every leaf m, its inclusion path
 * PATH(m, D[n]) (§2.1.3.1): sibling hashes from the leaf up to the root. A batch is never empty, so an
 * empty list is refused. Built level by level (merkleLevels), the one tree construction both this pure
 * code and the node:crypto one (`@safelight/protocol/node`) use; tests check it against the recursive
 * definition and the Certificate Transparency test vectors.
 */
export function merkleTree(leaves: readonly Uint8Array[]): { root: Uint8Array; paths: Uint8Array[][] } {
  if (leaves.length === 0) throw new RangeError("a Merkle tree needs at least one leaf");
  const levels = merkleLevels(leaves.map(merkleLeafHash), merkleNodeHash);
  return { root: levels.at(-1)![0]!, paths: leaves.map((_, i) => inclusionPath(levels, i)) };
}

/** The level above: nodes paired left to right, an odd last node carried up unchanged, which gives exactly
 *  RFC 9162's split at the largest power of two below n (an odd node is never duplicated). */
function parentLevel<T>(level: readonly T[], node: (l: T, r: T) => T): T[] {
  const next: T[] = [];
  for (let i = 0; i + 1 < level.length; i += 2) next.push(node(level[i]!, level[i + 1]!));
  if (level.length % 2 === 1) next.push(level[level.length - 1]!);
  return next;
}

/** Every level of the tree over these leaf hashes (RFC 9162 leaf hashes, `0x00`-prefixed), from the
 *  leaves up to `[root]`: n − 1 node hashes for n ≥ 1 leaves, made by `node` (merkleNodeHash, or a
 *  node:crypto one over Buffers or base64url strings from `@safelight/protocol/node`). */
export function merkleLevels<T>(leafHashes: T[], node: (l: T, r: T) => T): T[][] {
  const levels = [leafHashes];
  while (levels.at(-1)!.length > 1) levels.push(parentLevel(levels.at(-1)!, node));
  return levels;
}

/** The root over n ≥ 1 leaf hashes, keeping one level at a time (lists of millions of leaves). */
export function merkleRootOfLeafHashes<T>(leafHashes: T[], node: (l: T, r: T) => T): T {
  if (leafHashes.length === 0) throw new RangeError("a Merkle tree needs at least one leaf");
  let level = leafHashes;
  while (level.length > 1) level = parentLevel(level, node);
  return level[0]!;
}

/** Leaf m's inclusion path in `merkleLevels` output: its siblings from the bottom level up, where it has
 *  one (a carried-up node has none). */
export function inclusionPath<T>(levels: readonly (readonly T[])[], m: number): T[] {
  const path: T[] = [];
  for (let depth = 0; depth < levels.length - 1; depth++) {
    const sibling = levels[depth]![(m >> depth) ^ 1];
    if (sibling !== undefined) path.push(sibling);
  }
  return path;
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

/**
 * RFC 9162 §2.1.4.1: the consistency proof PROOF(m, D[n]) that the tree of the first m leaves is a
 * prefix of the tree of all n, from the n leaf hashes (generic like merkleLevels, so the server can use
 * node:crypto hashes). Empty for m = n and for m = 0 (every tree extends the empty one).
 */
export function merkleConsistencyProof<T>(leafHashes: readonly T[], m: number, node: (l: T, r: T) => T): T[] {
  const n = leafHashes.length;
  if (!Number.isSafeInteger(m) || m < 0 || m > n) throw new RangeError(`no consistency proof from ${m} to ${n} leaves`);
  return m === 0 ? [] : subproof(leafHashes, m, true, node);
}

/** SUBPROOF(m, D, b) of RFC 9162 §2.1.4.1: `known` says whether the verifier already holds MTH(D[0:m]). */
function subproof<T>(d: readonly T[], m: number, known: boolean, node: (l: T, r: T) => T): T[] {
  if (m === d.length) return known ? [] : [merkleRootOfLeafHashes([...d], node)];
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  if (m <= k) return [...subproof(d.slice(0, k), m, known, node), merkleRootOfLeafHashes(d.slice(k), node)];
  return [...subproof(d.slice(k), m - k, false, node), merkleRootOfLeafHashes(d.slice(0, k), node)];
}

/**
 * RFC 9162 §2.1.4.2: does `proof` show that the tree of size `first` with root `firstRoot` is a prefix
 * of the tree of size `second` with root `secondRoot`? Equal sizes need equal roots and an empty proof;
 * size 0 is a prefix of everything. Anything malformed (sizes out of order, wrong hash lengths, a path of
 * the wrong length) is false.
 */
export function verifyMerkleConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) return false;
  if (proof.some((p) => p.length !== HASH_BYTES)) return false;
  if (first === 0) return proof.length === 0;
  if (first === second) return proof.length === 0 && constantTimeEqual(firstRoot, secondRoot);
  if (proof.length === 0) return false;
  // Step 2: when `first` is a power of two its root is itself a node of the second tree.
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = merkleNodeHash(c, fr);
      sr = merkleNodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = merkleNodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && constantTimeEqual(fr, firstRoot) && constantTimeEqual(sr, secondRoot);
}

/**
 * A compact range over leaves [0, size) (RFC 9162 §2.1.1 split): the hashes of the perfect subtrees that
 * make up the binary decomposition of `size`, largest first. A monitor keeps only these (at most 53
 * hashes) to extend the tree leaf by leaf and recompute its root, without keeping or refetching the log.
 */
export function merkleFrontierAppend(frontier: readonly Uint8Array[], size: number, leafHash: Uint8Array): Uint8Array[] {
  const out = [...frontier, leafHash];
  // Each trailing 1 bit of the old size is a subtree of the new leaf's height: merge it in.
  for (let s = size; s % 2 === 1; s = Math.floor(s / 2)) {
    const right = out.pop()!;
    out.push(merkleNodeHash(out.pop()!, right));
  }
  return out;
}

/** The Merkle Tree Hash of the leaves a frontier covers: the subtrees folded from the right (the
 *  largest-power-of-two split of §2.1.1 applied recursively); SHA-256() for the empty tree. */
export function merkleFrontierRoot(frontier: readonly Uint8Array[]): Uint8Array {
  if (frontier.length === 0) return sha256(new Uint8Array(0));
  let root = frontier[frontier.length - 1]!;
  for (let i = frontier.length - 2; i >= 0; i--) root = merkleNodeHash(frontier[i]!, root);
  return root;
}
