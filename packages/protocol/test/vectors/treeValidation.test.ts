// tree-validation.json: tree hashes of every node and resolutions (RFC 9420
// §7.8, §4.1.1), and full ratchet-tree validation (parent hashes §7.9.2, leaf signatures).
import { expect, it } from "vitest";
import { decode, defaultLifetimeConfig, nodeTypes, unsafeTestingAuthenticationService } from "ts-mls";
import { describeVectors, hex, loadVectors } from "./common.js";
import {
  directPath,
  leafToNodeIndex,
  leafWidth,
  ratchetTreeDecoder,
  resolution,
  toLeafIndex,
  toNodeIndex,
  treeHash,
  treeHashRoot,
  validateRatchetTree,
  type RatchetTree,
} from "./tsMlsInternals.js";

interface TreeValidation {
  cipher_suite: number;
  tree: string;
  group_id: string;
  tree_hashes: string[];
  resolutions: number[][];
}

/**
 * RFC 9420 §7.9.2 / §12.4.3.1 unmerged-leaves rule, stated directly: for every parent P and every leaf L in
 * P.unmerged_leaves, L is a non-blank descendant of P and every non-blank node strictly between L and P
 * lists L too. (Nodes above P are not constrained.)
 */
function unmergedLeavesValid(tree: RatchetTree): boolean {
  const width = leafWidth(tree.length);
  return tree.every((node, p) => {
    if (node?.nodeType !== nodeTypes.parent) return true;
    return node.parent.unmergedLeaves.every((leaf) => {
      const leafNode = leafToNodeIndex(toLeafIndex(leaf));
      const path = directPath(leafNode, width);
      const at = path.indexOf(toNodeIndex(p));
      if (tree[leafNode] === undefined || at === -1) return false;
      return path.slice(0, at).every((q) => {
        const between = tree[q];
        return between === undefined || (between.nodeType === nodeTypes.parent && between.parent.unmergedLeaves.includes(leaf));
      });
    });

    it("only the known ts-mls unmerged_leaves divergence: one tree per suite", () => {
      expect(divergences).toBe(new Set(cases.map((c) => c.suite)).size);
    });
  });
}
// ts-mls 2.0.0-rc.10 (clientState.js validateRatchetTree) instead requires every non-blank node on the
// leaf's *whole* direct path, above P too, to carry an unmerged_leaves list *equal* to P's. It therefore
// rejects some valid trees; the vectors contain one per suite. We pin that behaviour so a fix shows up.
const TS_MLS_UNMERGED_DIVERGENCE = "non-blank intermediate node must list leaf node in its unmerged_leaves";

const vectors = loadVectors<TreeValidation>("tree-validation.json");
// Vector trees carry arbitrary lifetimes; lifetime policy is not what is under test here.
const lifetimeConfig = { ...defaultLifetimeConfig, validateLifetimeOnReceive: false };

// Providers whose runs hit the divergence, one entry per vector.
const divergent: string[] = [];

await describeVectors(
  "tree-validation",
  vectors,
  {
    "": async ({ vector: v, cs, provider }) => {
      const tree = decode(ratchetTreeDecoder, hex(v.tree));
      if (tree === undefined) throw new Error("undecodable ratchet tree");
      expect(tree.length).toBe(v.tree_hashes.length);
      for (let i = 0; i < tree.length; i++) {
        expect(await treeHash(tree, toNodeIndex(i), cs.hash), `tree hash of node ${i}`).toEqual(hex(v.tree_hashes[i]!));
        expect(resolution(tree, toNodeIndex(i)), `resolution of node ${i}`).toEqual(v.resolutions[i]);
      }
      const rootHash = await treeHashRoot(tree, cs.hash);
      const context = {
        version: 1 as const,
        cipherSuite: v.cipher_suite,
        groupId: hex(v.group_id),
        epoch: 0n,
        treeHash: rootHash,
        confirmedTranscriptHash: new Uint8Array(0),
        extensions: [],
      };
      expect(unmergedLeavesValid(tree)).toBe(true);
      const error = await validateRatchetTree(tree, context, lifetimeConfig, unsafeTestingAuthenticationService, rootHash, cs);
      if (error !== undefined) {
        expect(error.message).toBe(TS_MLS_UNMERGED_DIVERGENCE);
        divergent.push(provider);
      }
    },
  },
  (cases) =>
    it("only the known ts-mls unmerged_leaves divergence: one tree per suite", () => {
      const provider = cases[0]?.provider;
      expect(divergent.filter((p) => p === provider)).toHaveLength(new Set(cases.map((c) => c.suite)).size);
    }),
);
