// tree-operations.json: apply one Add / Update / Remove proposal to a ratchet
// tree (RFC 9420 §12.1.1-12.1.3, §7.7-7.8) and compare the tree and its hash.
import { expect } from "vitest";
import { decode, defaultProposalTypes, encode } from "ts-mls";
import { describeVectors, hex, loadVectors } from "./common.js";
import {
  addLeafNodeMutable,
  proposalDecoder,
  ratchetTreeDecoder,
  ratchetTreeEncoder,
  removeLeafNodeMutable,
  toLeafIndex,
  treeHashRoot,
  updateLeafNodeMutable,
} from "./tsMlsInternals.js";

interface TreeOperations {
  cipher_suite: number;
  tree_before: string;
  tree_hash_before: string;
  proposal: string;
  proposal_sender: number;
  tree_after: string;
  tree_hash_after: string;
}

const vectors = loadVectors<TreeOperations>("tree-operations.json");

await describeVectors("tree-operations", vectors, {
  "": async ({ vector: v, cs }) => {
    const tree = decode(ratchetTreeDecoder, hex(v.tree_before));
    const proposal = decode(proposalDecoder, hex(v.proposal));
    if (tree === undefined || proposal === undefined) throw new Error("undecodable tree or proposal");
    expect(await treeHashRoot(tree, cs.hash)).toEqual(hex(v.tree_hash_before));
    switch (proposal.proposalType) {
      case defaultProposalTypes.add:
        addLeafNodeMutable(tree, proposal.add.keyPackage.leafNode);
        break;
      case defaultProposalTypes.update:
        updateLeafNodeMutable(tree, proposal.update.leafNode, toLeafIndex(v.proposal_sender));
        break;
      case defaultProposalTypes.remove:
        removeLeafNodeMutable(tree, toLeafIndex(proposal.remove.removed));
        break;
      default:
        throw new Error(`unexpected proposal type ${proposal.proposalType}`);
    }
    expect(encode(ratchetTreeEncoder, tree)).toEqual(hex(v.tree_after));
    expect(await treeHashRoot(tree, cs.hash)).toEqual(hex(v.tree_hash_after));
  },
});
