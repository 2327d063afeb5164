import { describe, expect, it } from "vitest";
import {
  computeServerFrank,
  decodeFrankingAad,
  encodeFrankingAad,
  frankingTag,
  generateDeviceKeys,
  newFrankingSalt,
  signServerFrank,
  tagMatches,
  verifyServerFrankSignature,
  type FrankContext,
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

  it("the signature verifies only for the same frank and context", () => {
    const frank = computeServerFrank(frankKey, tag, context);
    const sig = signServerFrank(signer.signKey, frank, context);
    expect(verifyServerFrankSignature(signer.publicKey, frank, context, sig)).toBe(true);
    expect(verifyServerFrankSignature(signer.publicKey, frank, { ...context, messageId: "m9" }, sig)).toBe(false);
    const bad = sig.slice();
    bad[0]! ^= 1;
    expect(verifyServerFrankSignature(signer.publicKey, frank, context, bad)).toBe(false);
    expect(verifyServerFrankSignature(generateDeviceKeys().publicKey, frank, context, sig)).toBe(false);
  });
});
