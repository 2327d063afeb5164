import fc from "fast-check";
import { ed25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "vitest";
import {
  computeServerFrank,
  decodeFrankingAad,
  encodeFrankContext,
  encodeFrankingAad,
  frankBatchSignatureInput,
  frankLeaf,
  frankingTag,
  fromB64,
  generateDeviceKeys,
  merkleTree,
  newFrankingSalt,
  tagMatches,
  toB64,
  verifyServerFrank,
  type FrankContext,
  type ServerFrank,
} from "../src/index.js";

const enc = (s: string) => new TextEncoder().encode(s);

describe("franking primitives", () => {
  const salt = newFrankingSalt();
  const content = enc('{"v":1,"type":"text","text":"meet me after school"}');
  const tag = frankingTag(salt, content);
  const context: FrankContext = { senderAccountId: "acc1", groupId: "g1", acceptedAt: 1_700_000_000_000, messageId: "m1" };
  const frankKey = crypto.getRandomValues(new Uint8Array(32));
  const signer = generateDeviceKeys();

  it("the tag travels in authenticated data and verifies against the content", () => {
    const aad = encodeFrankingAad(tag);
    expect(decodeFrankingAad(aad)).toEqual(tag);
    expect(tagMatches(salt, content, decodeFrankingAad(aad)!)).toBe(true);
    expect(decodeFrankingAad(aad.subarray(1))).toBeUndefined();
    expect(decodeFrankingAad(new Uint8Array(36))).toBeUndefined();
  });

  it("altered content or another message's salt does not match the tag", () => {
    expect(tagMatches(salt, enc('{"v":1,"type":"text","text":"meet me after school!"}'), tag)).toBe(false);
    expect(tagMatches(newFrankingSalt(), content, tag)).toBe(false);
  });

  it("the server frank binds tag and every context field", () => {
    const frank = computeServerFrank(frankKey, tag, context);
    const variants: FrankContext[] = [
      { ...context, senderAccountId: "acc2" },
      { ...context, groupId: "g2" },
      { ...context, acceptedAt: context.acceptedAt + 1 },
      { ...context, messageId: "m2" },
    ];
    for (const v of variants) expect(computeServerFrank(frankKey, tag, v)).not.toEqual(frank);
    expect(computeServerFrank(frankKey, frankingTag(newFrankingSalt(), content), context)).not.toEqual(frank);
    expect(computeServerFrank(crypto.getRandomValues(new Uint8Array(32)), tag, context)).not.toEqual(frank);
  });
});

/** What the server does for one batch, with the reference functions: one signature, a proof each. */
function stampBatch(signKey: Uint8Array, frankKey: Uint8Array, contexts: FrankContext[], keyId = "k1"): ServerFrank[] {
  const franks = contexts.map((c) => computeServerFrank(frankKey, frankingTag(newFrankingSalt(), new Uint8Array([1])), c));
  const { root, paths } = merkleTree(franks.map((f, i) => frankLeaf(f, encodeFrankContext(contexts[i]!))));
  const signature = toB64(ed25519.sign(frankBatchSignatureInput(contexts.length, root), signKey));
  return franks.map((f, i) => ({
    keyId,
    serverFrank: toB64(f),
    signature,
    proof: { leafIndex: i, treeSize: contexts.length, inclusionPath: paths[i]!.map(toB64) },
  }));
}

const contextsOf = (n: number, batch = "b"): FrankContext[] =>
  Array.from({ length: n }, (_, i) => ({ senderAccountId: `acc${i % 3}`, groupId: `g${i % 2}`, acceptedAt: 1_700_000_000_000 + i, messageId: `${batch}-m${i}` }));

const flipB64 = (b64: string) => {
  const bytes = fromB64(b64)!;
  bytes[0]! ^= 1;
  return toB64(bytes);
};

describe("batch-signed server franks", () => {
  const signer = generateDeviceKeys();
  const frankKey = crypto.getRandomValues(new Uint8Array(32));

  it("every message of batches of 1..17 verifies under the published key", () => {
    for (let n = 1; n <= 17; n++) {
      const contexts = contextsOf(n);
      const franks = stampBatch(signer.signKey, frankKey, contexts);
      expect(new Set(franks.map((f) => f.signature)).size).toBe(1);
      franks.forEach((f, i) => expect(verifyServerFrank(signer.publicKey, f, contexts[i]!)).toBe(true));
    }
  });

  describe("forgeries fail", () => {
    const n = 11;
    const contexts = contextsOf(n);
    const franks = stampBatch(signer.signKey, frankKey, contexts);
    const i = 6;
    const frank = franks[i]!;
    const context = contexts[i]!;
    const fails = (f: ServerFrank, c: FrankContext = context) => expect(verifyServerFrank(signer.publicKey, f, c)).toBe(false);

    it("the genuine one verifies", () => expect(verifyServerFrank(signer.publicKey, frank, context)).toBe(true));
    it("an altered server frank", () => fails({ ...frank, serverFrank: flipB64(frank.serverFrank) }));
    it("another message's server frank with this proof", () => fails({ ...frank, serverFrank: franks[2]!.serverFrank }));
    it("an altered sender", () => fails(frank, { ...context, senderAccountId: "acc9" }));
    it("an altered conversation", () => fails(frank, { ...context, groupId: "g9" }));
    it("an altered time", () => fails(frank, { ...context, acceptedAt: context.acceptedAt - 1 }));
    it("an altered message id", () => fails(frank, { ...context, messageId: "b-m9" }));
    it("message i's proof with message j's leaf, for every pair", () => {
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < n; b++) {
          if (a !== b) fails({ ...franks[b]!, proof: franks[a]!.proof }, contexts[b]);
        }
      }
    });
    it("a wrong index", () => {
      for (let x = -1; x <= n; x++) if (x !== i) fails({ ...frank, proof: { ...frank.proof, leafIndex: x } });
    });
    it("a wrong size", () => {
      for (let s = 1; s <= 2 * n; s++) if (s !== n) fails({ ...frank, proof: { ...frank.proof, treeSize: s } });
      fails({ ...frank, proof: { ...frank.proof, treeSize: 0 } });
    });
    it("a path element flipped", () => {
      frank.proof.inclusionPath.forEach((_, k) =>
        fails({ ...frank, proof: { ...frank.proof, inclusionPath: frank.proof.inclusionPath.map((h, x) => (x === k ? flipB64(h) : h)) } }),
      );
    });
    it("a path too long or too short", () => {
      const path = frank.proof.inclusionPath;
      fails({ ...frank, proof: { ...frank.proof, inclusionPath: [...path, path[0]!] } });
      fails({ ...frank, proof: { ...frank.proof, inclusionPath: path.slice(0, -1) } });
      fails({ ...frank, proof: { ...frank.proof, inclusionPath: path.slice(1) } });
      fails({ ...frank, proof: { ...frank.proof, inclusionPath: [] } });
    });
    it("a proof and signature from another batch", () => {
      const other = stampBatch(signer.signKey, frankKey, contextsOf(n, "other"));
      fails({ ...frank, signature: other[i]!.signature });
      fails({ ...frank, proof: other[i]!.proof });
      fails({ ...frank, proof: other[i]!.proof, signature: other[i]!.signature });
    });
    it("a subtree presented as the leaf (the proof of an interior node)", () => {
      // Drop the lowest levels of the path and claim a smaller tree: the leaf hash (0x00 prefix) can
      // never stand in for the interior node (0x01) it would need to equal.
      const path = frank.proof.inclusionPath;
      for (let cut = 1; cut < path.length; cut++) {
        for (let s = 1; s <= n; s++) {
          for (let x = 0; x < s; x++) fails({ ...frank, proof: { leafIndex: x, treeSize: s, inclusionPath: path.slice(cut) } });
        }
      }
    });
    it("a stamp that is not an object at all is refused, not a TypeError (found by fuzzing)", () => {
      for (const notAStamp of [undefined, null, 7, "stamp", []]) fails(notAStamp as unknown as ServerFrank);
      fails({ ...frank, proof: null as unknown as ServerFrank["proof"] });
    });
    it("a signature under another key, or not a signature", () => {
      expect(verifyServerFrank(generateDeviceKeys().publicKey, frank, context)).toBe(false);
      fails({ ...frank, signature: flipB64(frank.signature) });
      fails({ ...frank, signature: frank.signature.slice(0, 20) });
      fails({ ...frank, signature: "not*base64" });
    });
    it("the old per-message signature, with or without a proof", () => {
      const serverFrank = fromB64(frank.serverFrank)!;
      const old = toB64(ed25519.sign(frankLeaf(serverFrank, encodeFrankContext(context)), signer.signKey));
      const { proof: _proof, ...noProof } = { ...frank, signature: old };
      fails(noProof as ServerFrank);
      fails({ ...frank, signature: old, proof: { leafIndex: 0, treeSize: 1, inclusionPath: [] } });
    });
    it("malformed proofs", () => {
      const bad: unknown[] = [
        undefined,
        null,
        "proof",
        { leafIndex: "6", treeSize: n, inclusionPath: frank.proof.inclusionPath },
        { leafIndex: i, treeSize: `${n}`, inclusionPath: frank.proof.inclusionPath },
        { leafIndex: i, treeSize: n, inclusionPath: frank.proof.inclusionPath.join("") },
        { leafIndex: i, treeSize: n, inclusionPath: [...frank.proof.inclusionPath.slice(1), 7] },
        { leafIndex: i, treeSize: n, inclusionPath: Array.from({ length: 10_000 }, () => frank.proof.inclusionPath[0]) },
        { leafIndex: i + 0.5, treeSize: n, inclusionPath: frank.proof.inclusionPath },
      ];
      for (const proof of bad) fails({ ...frank, proof } as ServerFrank);
      fails({ ...frank, serverFrank: 7 } as unknown as ServerFrank);
      fails({ ...frank, signature: null } as unknown as ServerFrank);
    });
  });

  it("the verified-batch cache skips repeat signature checks but never admits a forgery", () => {
    const contexts = contextsOf(5);
    const franks = stampBatch(signer.signKey, frankKey, contexts);
    const cache = new Set<string>();
    franks.forEach((f, x) => expect(verifyServerFrank(signer.publicKey, f, contexts[x]!, cache)).toBe(true));
    expect(cache.size).toBe(1);
    // Same signature, cached batch: any change to leaf, index, size or path still fails.
    const f = franks[1]!;
    expect(verifyServerFrank(signer.publicKey, f, { ...contexts[1]!, messageId: "x" }, cache)).toBe(false);
    expect(verifyServerFrank(signer.publicKey, { ...f, proof: { ...f.proof, leafIndex: 2 } }, contexts[1]!, cache)).toBe(false);
    expect(verifyServerFrank(signer.publicKey, { ...f, proof: { ...f.proof, treeSize: 6 } }, contexts[1]!, cache)).toBe(false);
    expect(verifyServerFrank(generateDeviceKeys().publicKey, f, contexts[1]!, cache)).toBe(false);
    expect(cache.size).toBe(1);
  });

  it("the context encoding is exactly JSON.stringify of the array, for ids of any characters and any times", () => {
    const id = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{0,30}$/), fc.string({ unit: "binary" }));
    const time = fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer(), fc.double());
    fc.assert(
      fc.property(id, id, time, id, (senderAccountId, groupId, acceptedAt, messageId) => {
        const expected = JSON.stringify(["safelight-frank-context-v1", senderAccountId, groupId, acceptedAt, messageId]);
        expect(new TextDecoder().decode(encodeFrankContext({ senderAccountId, groupId, acceptedAt, messageId }))).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
