/** RFC 9162 §2.1.4 consistency proofs and the key-transparency log's entries and signed heads. */
import { ed25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "vitest";
import {
  ktLeafHash,
  ktRoot,
  merkleConsistencyProof,
  merkleLevels,
  merkleNodeHash,
  inclusionPath,
  toB64,
  treeHeadSignatureInput,
  verifyKtConsistency,
  verifyKtInclusion,
  verifyMerkleConsistency,
  verifyTreeHead,
  type KtEntry,
  type SignedTreeHead,
} from "../src/index.js";

const signKey = ed25519.utils.randomSecretKey();
const logKey = ed25519.getPublicKey(signKey);

const entry = (i: number, account = "bob"): KtEntry => ({
  accountId: account,
  deviceId: `dev-${i}`,
  action: i % 5 === 4 ? "revoke" : "add",
  publicKey: toB64(ed25519.getPublicKey(new Uint8Array(32).fill(i + 1))),
  time: 1_700_000_000_000 + i,
});
const log = (n: number) => Array.from({ length: n }, (_, i) => entry(i));

function head(entries: KtEntry[], timestamp = 1): SignedTreeHead {
  const root = ktRoot(entries);
  const signature = ed25519.sign(treeHeadSignatureInput(entries.length, timestamp, root), signKey);
  return { treeSize: entries.length, timestamp, rootHash: toB64(root), signature: toB64(signature) };
}
const proofOf = (entries: KtEntry[], m: number) => merkleConsistencyProof(entries.map(ktLeafHash), m, merkleNodeHash).map(toB64);

describe("RFC 9162 consistency proofs", () => {
  it("for every 0 ≤ m ≤ n ≤ 33 the proof from m to n leaves verifies, and no proof is longer than log2(n) + 1", () => {
    const all = log(33);
    for (let n = 0; n <= 33; n++) {
      for (let m = 0; m <= n; m++) {
        const proof = merkleConsistencyProof(all.slice(0, n).map(ktLeafHash), m, merkleNodeHash);
        expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(Math.max(n, 1))) + 1);
        expect(verifyMerkleConsistency(m, n, ktRoot(all.slice(0, m)), ktRoot(all.slice(0, n)), proof)).toBe(true);
      }
    }
  });

  it("refuses a proof with any element altered, dropped or added", () => {
    const all = log(13);
    for (const m of [1, 3, 4, 7, 8, 12]) {
      const proof = merkleConsistencyProof(all.map(ktLeafHash), m, merkleNodeHash);
      const [a, b] = [ktRoot(all.slice(0, m)), ktRoot(all)];
      proof.forEach((_, i) => {
        const altered = proof.map((p, j) => (j === i ? p.map((x, k) => (k === 0 ? x ^ 1 : x)) : p));
        expect(verifyMerkleConsistency(m, 13, a, b, altered)).toBe(false);
      });
      expect(verifyMerkleConsistency(m, 13, a, b, proof.slice(1))).toBe(false);
      expect(verifyMerkleConsistency(m, 13, a, b, [...proof, proof[0]!])).toBe(false);
      expect(verifyMerkleConsistency(m + 1, 13, a, b, proof)).toBe(false);
    }
  });

  it("refuses sizes out of order and a size-0 or equal-size proof that is not empty", () => {
    const all = log(4);
    const r = ktRoot(all);
    expect(verifyMerkleConsistency(4, 3, r, r, [])).toBe(false);
    expect(verifyMerkleConsistency(0, 4, r, r, [r])).toBe(false);
    expect(verifyMerkleConsistency(4, 4, r, r, [r])).toBe(false);
    expect(verifyMerkleConsistency(4, 4, r, ktRoot(all.slice(0, 3)), [])).toBe(false);
    expect(() => merkleConsistencyProof(all.map(ktLeafHash), 5, merkleNodeHash)).toThrow(RangeError);
  });
});

describe("key-transparency log", () => {
  it("verifies a signed head and refuses one with its size, time, root or signature changed", () => {
    const h = head(log(6), 42);
    expect(verifyTreeHead(logKey, h)).toBe(true);
    expect(verifyTreeHead(logKey, { ...h, treeSize: 7 })).toBe(false);
    expect(verifyTreeHead(logKey, { ...h, timestamp: 43 })).toBe(false);
    expect(verifyTreeHead(logKey, { ...h, rootHash: head(log(5)).rootHash })).toBe(false);
    expect(verifyTreeHead(ed25519.getPublicKey(ed25519.utils.randomSecretKey()), h)).toBe(false);
    expect(verifyTreeHead(logKey, { ...h, signature: "" })).toBe(false);
  });

  it("proves every entry's inclusion and refuses a different entry at that index", () => {
    const entries = log(11);
    const h = head(entries);
    const levels = merkleLevels(entries.map(ktLeafHash), merkleNodeHash);
    entries.forEach((e, i) => {
      const path = inclusionPath(levels, i).map(toB64);
      expect(verifyKtInclusion(h, e, i, path)).toBe(true);
      expect(verifyKtInclusion(h, { ...e, publicKey: entry(99).publicKey }, i, path)).toBe(false);
      expect(verifyKtInclusion(h, { ...e, accountId: "mallory" }, i, path)).toBe(false);
    });
    expect(verifyKtInclusion(h, entries[0]!, 0, "not a path")).toBe(false);
  });

  it("a head, entry or proof of the wrong shape from the server is refused, not a TypeError (found by fuzzing)", () => {
    const entries = log(3);
    const h = head(entries);
    const path = inclusionPath(merkleLevels(entries.map(ktLeafHash), merkleNodeHash), 0).map(toB64);
    const notAHead = [] as unknown as SignedTreeHead;
    expect(verifyTreeHead(logKey, null as unknown as SignedTreeHead)).toBe(false);
    expect(verifyKtConsistency(head(entries.slice(0, 2)), notAHead, [])).toBe(false);
    expect(verifyKtConsistency(notAHead, h, [])).toBe(false);
    expect(verifyKtInclusion(notAHead, entries[0]!, 0, path)).toBe(false);
    expect(verifyKtInclusion(h, { ...entries[0]!, time: 1.5 }, 0, path)).toBe(false);
    expect(verifyKtInclusion(h, { ...entries[0]!, publicKey: "not base64url!" }, 0, path)).toBe(false);
    expect(verifyKtInclusion(h, { ...entries[0]!, accountId: 7 as unknown as string }, 0, path)).toBe(false);
    expect(verifyKtInclusion(h, null as unknown as KtEntry, 0, path)).toBe(false);
    expect(verifyKtInclusion(h, entries[0]!, 0, path)).toBe(true);
  });

  it("entries differing in one field never share a leaf (length-prefixed fields)", () => {
    const e = entry(1);
    const variants: KtEntry[] = [e, { ...e, accountId: "bo", deviceId: `b${e.deviceId}` }, { ...e, action: "revoke" }, { ...e, time: e.time + 1 }];
    expect(new Set(variants.map((v) => toB64(ktLeafHash(v)))).size).toBe(variants.length);
  });

  // The three forgery classes an auditor or client must catch between two heads it holds.
  describe("a head is not an extension of an earlier one when the log", () => {
    const earlier = log(6);
    const older = head(earlier);

    it("rewrote an earlier entry", () => {
      const rewritten = [...earlier.slice(0, 2), entry(2, "mallory"), ...log(9).slice(3)];
      expect(verifyKtConsistency(older, head(rewritten), proofOf(rewritten, 6))).toBe(false);
    });

    it("removed an earlier entry", () => {
      const removed = [...earlier.slice(0, 3), ...log(10).slice(4)];
      expect(verifyKtConsistency(older, head(removed), proofOf(removed, 6))).toBe(false);
    });

    it("forked: a second history of the same size", () => {
      const fork = [...earlier.slice(0, 5), entry(5, "ghost")];
      expect(verifyKtConsistency(older, head(fork), proofOf(fork, 6))).toBe(false);
    });

    it("but an honest extension verifies", () => {
      const grown = log(9);
      expect(verifyKtConsistency(older, head(grown), proofOf(grown, 6))).toBe(true);
    });
  });
});
