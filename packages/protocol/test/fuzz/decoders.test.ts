/**
 * Fuzzing every decoder of untrusted bytes in @safelight/protocol (docs/reliability.md): generated input and
 * mutated real encodings. Each returns a value or throws its documented error, never another exception.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ed25519 } from "@noble/curves/ed25519.js";
import { fuzzBytes, fuzzParams, mutated, onlyDocumentedErrors } from "../../../../tools/fuzz/budget.js";
import {
  AttachmentError,
  MlsInspectError,
  computeServerFrank,
  decodeContent,
  decodeFrankingAad,
  decodeIdentity,
  decodeMlsMessage,
  encodeContent,
  encodeFrankContext,
  encodeFrankingAad,
  frankBatchSignatureInput,
  frankLeaf,
  frankingTag,
  fromB64,
  inspectKeyPackage,
  inspectMessage,
  ktRoot,
  merkleTree,
  newFrankingSalt,
  openAttachment,
  sealAttachment,
  sha256,
  toB64,
  treeHeadSignatureInput,
  verifyKtConsistency,
  verifyKtInclusion,
  verifyServerFrank,
  verifyTreeHead,
  type FrankContext,
  type KtEntry,
  type ServerFrank,
  type SignedTreeHead,
} from "../../src/index.js";
import { fixture } from "../mlsFixture.js";

const f = await fixture();
const mls = [f.kpBytes, f.addBytes, f.removeBytes, f.welcomeBytes, f.appBytes];
const text = (bytes: Uint8Array) => new TextEncoder().encode(toB64(bytes));
const isInspectError = (err: unknown) => err instanceof MlsInspectError;

describe("fuzz: MLS inspection (src/inspect)", () => {
  it("decodeMlsMessage, inspectMessage and inspectKeyPackage throw only MlsInspectError", () => {
    fc.assert(
      fc.property(fuzzBytes(mls), (bytes) => {
        for (const decode of [decodeMlsMessage, inspectMessage, inspectKeyPackage]) {
          try {
            decode(bytes);
          } catch (err) {
            if (!isInspectError(err)) throw err;
          }
        }
      }),
      fuzzParams(),
    );
  });
});

describe("fuzz: content codec, identities, base64url", () => {
  const content = encodeContent({ v: 1, type: "text", salt: toB64(newFrankingSalt()), text: "hi", sentAt: 1, files: [{ blobId: "b", key: toB64(new Uint8Array(32)), digest: toB64(new Uint8Array(32)), name: "a.png", type: "image/png", size: 3 }] });
  const meta = encodeContent({ v: 1, type: "meta", salt: toB64(newFrankingSalt()), kind: "group", title: "t", sentAt: 2 });

  it("decodeContent returns content or undefined and never throws", () => {
    fc.assert(fc.property(fuzzBytes([content, meta]), (bytes) => void decodeContent(bytes)), fuzzParams());
  });

  it("decodeContent survives any JSON value", () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => void decodeContent(new TextEncoder().encode(JSON.stringify(value)))), fuzzParams());
  });

  it("decodeIdentity and fromB64 never throw", () => {
    fc.assert(
      fc.property(fuzzBytes([new TextEncoder().encode("acctA.devA"), text(f.kpBytes)]), (bytes) => {
        decodeIdentity(bytes);
        const decoded = fromB64(new TextDecoder().decode(bytes));
        // Canonical base64url only: whatever decodes encodes back to the same text.
        if (decoded !== undefined) expect(toB64(decoded)).toBe(new TextDecoder().decode(bytes));
      }),
      fuzzParams(),
    );
  });
});

describe("fuzz: attachments", async () => {
  const sealed = await sealAttachment(new TextEncoder().encode("a small file"));

  it("openAttachment of a mutated blob (its digest recomputed) throws only AttachmentError", async () => {
    await fc.assert(
      fc.asyncProperty(fuzzBytes([sealed.blob], 256), fc.oneof(fc.constant(sealed.key), fc.uint8Array({ maxLength: 40 })), async (blob, key) => {
        await onlyDocumentedErrors(() => openAttachment(blob, key, sealed.digest), (err) => err instanceof AttachmentError);
        await onlyDocumentedErrors(async () => openAttachment(blob, key, await sha256(blob)), (err) => err instanceof AttachmentError);
      }),
      fuzzParams(0.5),
    );
  });
});

/** A real stamp: server frank, a batch of 3 with an inclusion proof, signed like the server does. */
function realFrank(): { frank: ServerFrank; context: FrankContext; publicKey: Uint8Array } {
  const secret = ed25519.utils.randomSecretKey();
  const salt = newFrankingSalt();
  const body = encodeContent({ v: 1, type: "text", salt: toB64(salt), text: "x", sentAt: 1 });
  const context: FrankContext = { senderAccountId: "acct", groupId: toB64(new Uint8Array(32)), acceptedAt: 5, messageId: "msg" };
  const serverFrank = computeServerFrank(new Uint8Array(32).fill(1), frankingTag(salt, body), context);
  const leaves = [frankLeaf(serverFrank, encodeFrankContext(context)), new Uint8Array([1]), new Uint8Array([2])];
  const { root, paths } = merkleTree(leaves);
  const signature = ed25519.sign(frankBatchSignatureInput(3, root), secret);
  return {
    frank: { keyId: "k", serverFrank: toB64(serverFrank), signature: toB64(signature), proof: { leafIndex: 0, treeSize: 3, inclusionPath: paths[0]!.map(toB64) } },
    context,
    publicKey: ed25519.getPublicKey(secret),
  };
}

/** A JSON value like `value` with its leaves replaced at random: strings mutated, numbers and types changed. */
function mutatedJson(value: unknown): fc.Arbitrary<unknown> {
  if (Array.isArray(value)) return fc.oneof(fc.tuple(...value.map(mutatedJson)), fc.array(mutatedJson(value[0] ?? 0), { maxLength: 70 }), fc.anything());
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(([k, v]) => [k, fc.oneof({ weight: 3, arbitrary: fc.constant(v) }, { weight: 1, arbitrary: mutatedJson(v) })] as const);
    return fc.oneof({ weight: 4, arbitrary: fc.record(Object.fromEntries(entries)) }, { weight: 1, arbitrary: fc.anything() });
  }
  if (typeof value === "string") return fc.oneof(fc.constant(value), mutated([new TextEncoder().encode(value)]).map((b) => new TextDecoder().decode(b)), fc.string());
  if (typeof value === "number") return fc.oneof(fc.constant(value), fc.integer(), fc.double(), fc.constantFrom(-1, 2 ** 53, Number.NaN, Infinity));
  return fc.anything();
}

/** Contexts as callers build them (from schema-checked fields): the real one, or any strings and integer. */
const contexts = (real: FrankContext): fc.Arbitrary<FrankContext> =>
  fc.oneof(
    fc.constant(real),
    fc.record({ senderAccountId: fc.string(), groupId: fc.string(), acceptedAt: fc.oneof(fc.constant(real.acceptedAt), fc.maxSafeNat()), messageId: fc.string() }),
  );

describe("fuzz: franking openings", () => {
  const real = realFrank();

  it("the real stamp verifies (the seed is valid)", () => {
    expect(verifyServerFrank(real.publicKey, real.frank, real.context)).toBe(true);
  });

  it("verifyServerFrank of a mutated opening returns a boolean and never throws", () => {
    fc.assert(
      fc.property(mutatedJson(real.frank), contexts(real.context), (frank, context) => {
        expect(typeof verifyServerFrank(real.publicKey, frank as ServerFrank, context as FrankContext)).toBe("boolean");
      }),
      fuzzParams(),
    );
  });

  it("decodeFrankingAad never throws", () => {
    fc.assert(fc.property(fuzzBytes([encodeFrankingAad(new Uint8Array(32).fill(9))], 64), (aad) => void decodeFrankingAad(aad)), fuzzParams());
  });
});

describe("fuzz: key-transparency proofs", () => {
  const secret = ed25519.utils.randomSecretKey();
  const publicKey = ed25519.getPublicKey(secret);
  const entries: KtEntry[] = [0, 1, 2].map((i) => ({ accountId: `a${i}`, deviceId: `d${i}`, action: "add", publicKey: toB64(new Uint8Array(32).fill(i)), time: 1000 + i }));
  const head = (n: number): SignedTreeHead => {
    const root = ktRoot(entries.slice(0, n));
    return { treeSize: n, timestamp: 7, rootHash: toB64(root), signature: toB64(ed25519.sign(treeHeadSignatureInput(n, 7, root), secret)) };
  };
  const inclusion = [toB64(new Uint8Array(32).fill(3)), toB64(new Uint8Array(32).fill(4))];

  it("verifyTreeHead, verifyKtInclusion and verifyKtConsistency return booleans and never throw", () => {
    fc.assert(
      fc.property(mutatedJson(head(3)), mutatedJson(head(2)), mutatedJson(entries[0]), fc.oneof(fc.nat(4), fc.integer()), mutatedJson(inclusion), (newer, older, entry, index, path) => {
        expect(typeof verifyTreeHead(publicKey, newer as SignedTreeHead)).toBe("boolean");
        expect(typeof verifyKtInclusion(newer as SignedTreeHead, entry as KtEntry, index, path)).toBe("boolean");
        expect(typeof verifyKtConsistency(older as SignedTreeHead, newer as SignedTreeHead, path)).toBe("boolean");
      }),
      fuzzParams(),
    );
  });
});
