import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MAX_MLS_BYTES, MlsInspectError, inspectKeyPackage, inspectMessage, tryInspectMessage } from "../src/inspect/index.js";
import { fixture } from "./mlsFixture.js";

const f = await fixture();

describe("inspectMessage", () => {
  it("reads a public commit with an add: header, sender, and the added KeyPackage's identity and key", () => {
    const info = inspectMessage(f.addBytes);
    expect(info).toMatchObject({ wireformat: "public_message", epoch: 0n, contentType: "commit", sender: { type: "member", leafIndex: 0 } });
    expect(info.groupId).toEqual(f.groupId);
    expect(info.proposals).toHaveLength(1);
    const add = info.proposals[0]!;
    expect(add.type).toBe("add");
    if (add.type !== "add") throw new Error("unreachable");
    expect(add.keyPackage.identity).toEqual({ accountId: "acctB", deviceId: "devB" });
    expect(add.keyPackage.signatureKey).toEqual(f.bob.keys.publicKey);
    expect(add.keyPackage.signatureValid).toBe(true);
    expect(add.keyPackage.cipherSuite).toBe(1);
  });

  it("reads a remove by leaf index, a private message's clear header, a welcome", () => {
    expect(inspectMessage(f.removeBytes)).toMatchObject({ epoch: 1n, proposals: [{ type: "remove", leafIndex: 1 }] });
    const app = inspectMessage(f.appBytes);
    expect(app).toMatchObject({ wireformat: "private_message", epoch: 1n, contentType: "application", proposals: [] });
    expect(app.sender).toBeUndefined();
    expect(inspectMessage(f.welcomeBytes)).toMatchObject({ wireformat: "welcome", welcome: { cipherSuite: 1, recipients: 1 } });
  });

  it("inspectKeyPackage validates the signature and refuses non-KeyPackages", () => {
    const kp = inspectKeyPackage(f.kpBytes);
    expect(kp).toMatchObject({ cipherSuite: 1, credentialType: 1, identity: { accountId: "acctB", deviceId: "devB" }, signatureValid: true });
    const tampered = f.kpBytes.slice();
    tampered[tampered.length - 1]! ^= 1;
    expect(inspectKeyPackage(tampered).signatureValid).toBe(false);
    expect(() => inspectKeyPackage(f.appBytes)).toThrow(MlsInspectError);
  });

  it("throws MlsInspectError (never anything else) on every truncation and on trailing bytes", () => {
    for (const bytes of [f.addBytes, f.removeBytes, f.welcomeBytes, f.appBytes, f.kpBytes]) {
      for (let n = 0; n < bytes.length; n++) {
        expect(() => inspectMessage(bytes.subarray(0, n))).toThrow(MlsInspectError);
      }
      expect(() => inspectMessage(new Uint8Array([...bytes, 0]))).toThrow(MlsInspectError);
    }
  });

  it("refuses oversized input before decoding", () => {
    const err = (() => {
      try {
        inspectMessage(new Uint8Array(MAX_MLS_BYTES + 1));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MlsInspectError);
    expect((err as MlsInspectError).kind).toBe("too-large");
  });

  it("never throws anything but MlsInspectError on random or mutated bytes", () => {
    const check = (bytes: Uint8Array) => {
      try {
        inspectMessage(bytes);
      } catch (e) {
        if (!(e instanceof MlsInspectError)) throw e;
      }
      expect(() => tryInspectMessage(bytes)).not.toThrow();
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), check), { numRuns: 500 });
    fc.assert(
      fc.property(fc.nat(f.addBytes.length - 1), fc.integer({ min: 0, max: 255 }), (i, v) => {
        const m = f.addBytes.slice();
        m[i] = v;
        check(m);
      }),
      { numRuns: 500 },
    );
  });
});
