/** RFC 9162 §2.1 Merkle trees: the reference tree, its inclusion paths, and the §2.1.3.2 verifier. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { merkleFrontierAppend, merkleFrontierRoot, merkleLeafHash, merkleNodeHash, merkleRootFromInclusionProof, merkleTree } from "../src/index.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const leavesOf = (n: number) => Array.from({ length: n }, (_, i) => new TextEncoder().encode(`leaf ${i}`));

/** RFC 9162 §2.1.1's MTH written out independently (node:crypto, recursion on the definition). */
function mth(leaves: Uint8Array[]): Uint8Array {
  const h = (...parts: Uint8Array[]) => new Uint8Array(parts.reduce((x, p) => x.update(p), createHash("sha256")).digest());
  if (leaves.length === 1) return h(Uint8Array.of(0), leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return h(Uint8Array.of(1), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

const flip = (b: Uint8Array) => {
  const c = b.slice();
  c[0]! ^= 1;
  return c;
};

describe("RFC 9162 Merkle tree", () => {
  it("matches the Certificate Transparency reference roots for its 8 test leaves", () => {
    // The leaves and roots of the RFC 6962 test vectors used by certificate-transparency(-go) and Trillian.
    const leaves = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(
      (h) => new Uint8Array(Buffer.from(h, "hex")),
    );
    const roots = [
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    roots.forEach((root, i) => expect(hex(merkleTree(leaves.slice(0, i + 1)).root)).toBe(root));
  });

  it("for 1..40 leaves: the root equals a direct recomputation and every leaf's path proves it", () => {
    for (let n = 1; n <= 40; n++) {
      const leaves = leavesOf(n);
      const { root, paths } = merkleTree(leaves);
      expect(hex(root)).toBe(hex(mth(leaves)));
      expect(paths).toHaveLength(n);
      paths.forEach((path, i) => {
        expect(path.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
        expect(hex(merkleRootFromInclusionProof(merkleLeafHash(leaves[i]!), i, n, path)!)).toBe(hex(root));
      });
    }
  });

  it("refuses an empty tree", () => {
    expect(() => merkleTree([])).toThrow(RangeError);
  });

  describe("a proof fails to reach the root when", () => {
    const n = 13;
    const leaves = leavesOf(n);
    const { root, paths } = merkleTree(leaves);
    const reaches = (leaf: Uint8Array, index: number, size: number, path: Uint8Array[]) => {
      const r = merkleRootFromInclusionProof(merkleLeafHash(leaf), index, size, path);
      return r !== undefined && hex(r) === hex(root);
    };

    it("it is presented for another leaf, or with another index", () => {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (i === j) continue;
          expect(reaches(leaves[j]!, i, n, paths[i]!)).toBe(false);
          expect(reaches(leaves[i]!, j, n, paths[i]!)).toBe(false);
        }
      }
    });

    it("the tree size does not fit the index and path; where it does, the path alone does not fix it", () => {
      for (let size = 1; size <= 32; size++) {
        if (size === n) continue;
        const other = merkleTree(leavesOf(size)).paths;
        for (let i = 0; i < n; i++) {
          // Index not below the size, or a path of another length than that position needs: refused.
          if (i >= size || other[i]!.length !== paths[i]!.length) expect(reaches(leaves[i]!, i, size, paths[i]!)).toBe(false);
        }
      }
      // Leaf 0 of 13 has the same path shape as in a 16-leaf tree, so RFC 9162 proves nothing about the
      // size by itself: a signed tree head signs tree_size with the root, and so does the franking batch
      // signature (franking.test.ts checks a changed size fails there).
      expect(reaches(leaves[0]!, 0, 16, paths[0]!)).toBe(true);
    });

    it("the index is not below the size, negative or not an integer (malformed: no root at all)", () => {
      expect(merkleRootFromInclusionProof(merkleLeafHash(leaves[0]!), n, n, paths[0]!)).toBeUndefined();
      expect(merkleRootFromInclusionProof(merkleLeafHash(leaves[0]!), -1, n, paths[0]!)).toBeUndefined();
      expect(merkleRootFromInclusionProof(merkleLeafHash(leaves[0]!), 0.5, n, paths[0]!)).toBeUndefined();
      expect(merkleRootFromInclusionProof(merkleLeafHash(leaves[0]!), 0, 0, [])).toBeUndefined();
      expect(merkleRootFromInclusionProof(merkleLeafHash(leaves[0]!), 0, Infinity, paths[0]!)).toBeUndefined();
    });

    it("a path element is flipped", () => {
      for (let i = 0; i < n; i++) {
        paths[i]!.forEach((_, k) => {
          const path = paths[i]!.map((p, x) => (x === k ? flip(p) : p));
          expect(reaches(leaves[i]!, i, n, path)).toBe(false);
        });
      }
    });

    it("the path is too long or too short, or an element is not a 32-byte hash", () => {
      for (let i = 0; i < n; i++) {
        const path = paths[i]!;
        expect(merkleRootFromInclusionProof(merkleLeafHash(leaves[i]!), i, n, [...path, root])).toBeUndefined();
        expect(merkleRootFromInclusionProof(merkleLeafHash(leaves[i]!), i, n, path.slice(0, -1))).toBeUndefined();
        expect(merkleRootFromInclusionProof(merkleLeafHash(leaves[i]!), i, n, path.slice(1))).toBeUndefined();
        expect(merkleRootFromInclusionProof(merkleLeafHash(leaves[i]!), i, n, [path[0]!.subarray(1), ...path.slice(1)])).toBeUndefined();
      }
      // A one-leaf tree has an empty path; anything more is refused.
      const one = merkleTree([leaves[0]!]);
      expect(hex(merkleRootFromInclusionProof(merkleLeafHash(leaves[0]!), 0, 1, [])!)).toBe(hex(one.root));
      expect(merkleRootFromInclusionProof(merkleLeafHash(leaves[0]!), 0, 1, [one.root])).toBeUndefined();
    });

    it("an interior node is presented as a leaf (second preimage): the 0x00/0x01 prefixes keep them apart", () => {
      // In the 13-leaf tree, the node over leaves 0..7 has children a (0..3) and b (4..7). Claiming the
      // 64 bytes a ‖ b as leaf 0 of a 6-leaf tree whose other nodes are the real ones would reproduce the
      // root without domain separation; with it, the "leaf" hashes differently from the node.
      const a = mth(leaves.slice(0, 4));
      const b = mth(leaves.slice(4, 8));
      const fake = new Uint8Array([...a, ...b]);
      expect(hex(merkleNodeHash(a, b))).toBe(hex(mth(leaves.slice(0, 8))));
      const upper = paths[0]!.slice(3); // the siblings above the 0..7 node
      expect(upper).toHaveLength(1);
      expect(reaches(fake, 0, 2, upper)).toBe(false);
      // Without the leaf prefix (the fake's hash taken like a node's) the forgery would reach the root.
      expect(hex(merkleRootFromInclusionProof(merkleNodeHash(a, b), 0, 2, upper)!)).toBe(hex(root));
      // And a leaf hash is never a node hash of the same bytes.
      expect(hex(merkleLeafHash(fake))).not.toBe(hex(merkleNodeHash(a, b)));
    });
  });
});


describe("merkleFrontierAppend / merkleFrontierRoot", () => {
  it("recompute the Merkle Tree Hash of every prefix, leaf by leaf", () => {
    const raw = leavesOf(70);
    const leaves = raw.map(merkleLeafHash);
    let frontier: Uint8Array[] = [];
    expect(hex(merkleFrontierRoot(frontier))).toBe(hex(createHash("sha256").digest()));
    for (let n = 1; n <= leaves.length; n++) {
      frontier = merkleFrontierAppend(frontier, n - 1, leaves[n - 1]!);
      expect(frontier.length).toBe(n.toString(2).replace(/0/g, "").length);
      expect(hex(merkleFrontierRoot(frontier))).toBe(hex(mth(raw.slice(0, n))));
    }
  });

  it("gives a different root when any leaf differs", () => {
    const leaves = Array.from({ length: 9 }, (_, i) => merkleLeafHash(new Uint8Array([i])));
    const rootOf = (ls: Uint8Array[]) => hex(merkleFrontierRoot(ls.reduce<Uint8Array[]>((f, l, i) => merkleFrontierAppend(f, i, l), [])));
    const changed = [...leaves];
    changed[4] = merkleLeafHash(new Uint8Array([99]));
    expect(rootOf(changed)).not.toBe(rootOf(leaves));
    expect(rootOf(leaves.filter((_, i) => i !== 4))).not.toBe(rootOf(leaves.slice(0, 8)));
  });
});
