// treekem.json: apply each UpdatePath to the public tree (tree hash, parent
// hashes), then let every other listed member decrypt it: the path secret it
// learns and the commit secret must match (RFC 9420 §7.4-7.6, §7.9).
// Sampled for suites other than 1: see `vectors` below.
import { expect } from "vitest";
import { decode } from "ts-mls";
import { describeVectors, hex, loadVectors, sampleOtherSuites } from "./common.js";
import {
  applyUpdatePath,
  applyUpdatePathSecret,
  deriveSecret,
  leafToNodeIndex,
  leafWidth,
  pathToRoot,
  ratchetTreeDecoder,
  root,
  toLeafIndex,
  toNodeIndex,
  toPrivateKeyPath,
  treeHashRoot,
  updatePathDecoder,
  verifyParentHashes,
  type GroupContext,
  type PrivateKeyPath,
} from "./tsMlsInternals.js";

interface TreeKem {
  cipher_suite: number;
  group_id: string;
  epoch: number;
  confirmed_transcript_hash: string;
  ratchet_tree: string;
  leaves_private: { index: number; encryption_priv: string; signature_priv: string; path_secrets: { node: number; path_secret: string }[] }[];
  update_paths: { sender: number; update_path: string; path_secrets: (string | null)[]; commit_secret: string; tree_hash_after: string }[];
}

// All 11 suite-1 vectors; 4 of 11 (the smallest trees) for each other suite, which with P-384/P-521
// would otherwise take most of the vector budget on a 2-core machine.
const vectors = sampleOtherSuites(loadVectors<TreeKem>("treekem.json"), 4);

await describeVectors("treekem", vectors, {
  "": async ({ vector: v, cs }) => {
    const before = decode(ratchetTreeDecoder, hex(v.ratchet_tree));
    if (before === undefined) throw new Error("undecodable ratchet tree");
    expect(await verifyParentHashes(before, cs.hash)).toBe(true);

    // Each member's private view: its leaf key plus the keys derived from the path secrets it holds.
    const privatePaths = new Map<number, PrivateKeyPath>();
    for (const leaf of v.leaves_private) {
      const secrets = Object.fromEntries(leaf.path_secrets.map((p) => [p.node, hex(p.path_secret)]));
      const derived = await toPrivateKeyPath(secrets, leaf.index, cs);
      derived.privateKeys[leafToNodeIndex(toLeafIndex(leaf.index))] = hex(leaf.encryption_priv);
      privatePaths.set(leaf.index, derived);
    }

    for (const u of v.update_paths) {
      const path = decode(updatePathDecoder, hex(u.update_path));
      if (path === undefined) throw new Error("undecodable UpdatePath");
      const tree = structuredClone(before);
      await applyUpdatePath(tree, toLeafIndex(u.sender), path, cs.hash);
      expect(await treeHashRoot(tree, cs.hash)).toEqual(hex(u.tree_hash_after));
      expect(await verifyParentHashes(tree, cs.hash)).toBe(true);

      // The UpdatePath is encrypted to the provisional GroupContext, which already carries the new tree hash.
      const context: GroupContext = {
        version: 1,
        cipherSuite: v.cipher_suite,
        groupId: hex(v.group_id),
        epoch: BigInt(v.epoch),
        treeHash: hex(u.tree_hash_after),
        confirmedTranscriptHash: hex(v.confirmed_transcript_hash),
        extensions: [],
      };
      for (const [index, privatePath] of privatePaths) {
        const expected = u.path_secrets[index];
        if (index === u.sender || expected === null || expected === undefined) continue;
        const learned = await applyUpdatePathSecret(tree, privatePath, toLeafIndex(u.sender), context, path, [], cs);
        expect(learned.pathSecret, `leaf ${index} learns its path secret from sender ${u.sender}`).toEqual(hex(expected));
        const toRoot = await pathToRoot(tree, toNodeIndex(learned.nodeIndex), learned.pathSecret, cs.kdf);
        const rootSecret = toRoot[root(leafWidth(tree.length))];
        expect(rootSecret).toBeDefined();
        expect(await deriveSecret(rootSecret!, "path", cs.kdf)).toEqual(hex(u.commit_secret));
      }
    }
  },
});
