// tree-math.json: array-based tree arithmetic (RFC 9420 §4.1, Appendix C).
// Pure index arithmetic, no cryptography: it runs once, not per provider.
import { describe, expect, it } from "vitest";
import { loadVectors } from "./common.js";
import { left, nodeWidth, parent, right, root, sibling, toNodeIndex } from "./tsMlsInternals.js";

interface TreeMath {
  n_leaves: number;
  n_nodes: number;
  root: number;
  left: (number | null)[];
  right: (number | null)[];
  parent: (number | null)[];
  sibling: (number | null)[];
}

const vectors = loadVectors<TreeMath>("tree-math.json");
const isLeaf = (x: number): boolean => x % 2 === 0;

describe("tree-math", () => {
  it.each(vectors.map((v) => ({ n: v.n_leaves, v })))("$n leaves", ({ v }) => {
    expect(nodeWidth(v.n_leaves)).toBe(v.n_nodes);
    expect(root(v.n_leaves)).toBe(v.root);
    for (let i = 0; i < v.n_nodes; i++) {
      const x = toNodeIndex(i);
      // The vectors use null where the function is undefined: children of leaves, parent/sibling of the root.
      expect(isLeaf(i) ? null : left(x)).toBe(v.left[i]);
      expect(isLeaf(i) ? null : right(x)).toBe(v.right[i]);
      expect(i === v.root ? null : parent(x, v.n_leaves)).toBe(v.parent[i]);
      expect(i === v.root ? null : sibling(x, v.n_leaves)).toBe(v.sibling[i]);
    }
  });
});
