/** Safety numbers (docs/safety-numbers.md): Signal's numeric fingerprint over a device-key set. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  encodeDeviceSet,
  formatSafetyNumber,
  safetyNumber,
  safetyNumberMatches,
  safetyPayloadText,
  toB64,
  SAFETY_NUMBER_ITERATIONS,
  type AccountDeviceKeys,
} from "../src/index.js";

const key = (n: number) => new Uint8Array(32).fill(n);
const alice: AccountDeviceKeys = { accountId: "alice-id", deviceKeys: [key(1), key(2)] };
const bob: AccountDeviceKeys = { accountId: "bob-id", deviceKeys: [key(3)] };

/** The same construction written again on node:crypto, straight from libsignal's description. */
function referenceHalf(side: AccountDeviceKeys): { digits: string; hash: Buffer } {
  const sorted = [...side.deviceKeys].map((k) => Buffer.from(k)).sort(Buffer.compare);
  const setKey = Buffer.concat([Buffer.from([1, 0, sorted.length]), ...sorted]);
  let hash = Buffer.concat([Buffer.from([0, 0]), setKey, Buffer.from(side.accountId, "utf8")]);
  for (let i = 0; i < 5200; i++) hash = createHash("sha512").update(hash).update(setKey).digest();
  let digits = "";
  for (let o = 0; o < 30; o += 5) digits += String(hash.readUIntBE(o, 5) % 100000).padStart(5, "0");
  return { digits, hash };
}

describe("safety numbers", () => {
  it("follows Signal's construction: 5200 SHA-512 iterations, 30 digits a side, smaller half first", () => {
    expect(SAFETY_NUMBER_ITERATIONS).toBe(5200);
    const [a, b] = [referenceHalf(alice), referenceHalf(bob)];
    const n = safetyNumber(alice, bob);
    expect(n.digits).toBe(a.digits <= b.digits ? a.digits + b.digits : b.digits + a.digits);
    expect(toB64(n.payload)).toBe(toB64(Buffer.concat([Buffer.from([1]), a.hash.subarray(0, 32), b.hash.subarray(0, 32)])));
  });

  it("stays stable (frozen vector)", () => {
    const n = safetyNumber(alice, bob);
    expect(n.digits).toMatch(/^\d{60}$/);
    expect(formatSafetyNumber(n.digits)).toBe(FROZEN);
  });

  it("is the same on both sides, and each side's payload matches the other's", () => {
    const ab = safetyNumber(alice, bob);
    const ba = safetyNumber(bob, alice);
    expect(ba.digits).toBe(ab.digits);
    expect(safetyNumberMatches(ab, safetyPayloadText(ba))).toBe(true);
    expect(safetyNumberMatches(ba, formatSafetyNumber(ab.digits))).toBe(true);
    // Our own payload is not the other side's: a reflected QR code must not verify.
    expect(safetyNumberMatches(ab, safetyPayloadText(ab))).toBe(false);
  });

  it("does not depend on the order the devices are listed in", () => {
    const shuffled = { ...alice, deviceKeys: [key(2), key(1)] };
    expect(safetyNumber(shuffled, bob).digits).toBe(safetyNumber(alice, bob).digits);
  });

  it("changes when either side adds, removes or replaces a device", () => {
    const base = safetyNumber(alice, bob).digits;
    const variants: [AccountDeviceKeys, AccountDeviceKeys][] = [
      [{ ...alice, deviceKeys: [key(1), key(2), key(9)] }, bob],
      [{ ...alice, deviceKeys: [key(1)] }, bob],
      [alice, { ...bob, deviceKeys: [key(3), key(9)] }],
      [alice, { ...bob, deviceKeys: [key(4)] }],
      [alice, { ...bob, accountId: "carol-id" }],
    ];
    for (const [l, r] of variants) {
      const changed = safetyNumber(l, r);
      expect(changed.digits).not.toBe(base);
      expect(safetyNumberMatches(changed, base)).toBe(false);
    }
  });

  it("rejects what is not a number or a payload of the right version and length", () => {
    const n = safetyNumber(alice, bob);
    const theirs = safetyNumber(bob, alice).payload;
    for (const bad of ["", "123", n.digits.slice(1), `${n.digits}0`, toB64(theirs.subarray(1)), toB64(Uint8Array.of(2, ...theirs.subarray(1)))]) {
      expect(safetyNumberMatches(n, bad)).toBe(false);
    }
    const oneDigitOff = n.digits.slice(0, 59) + String((Number(n.digits[59]) + 1) % 10);
    expect(safetyNumberMatches(n, oneDigitOff)).toBe(false);
  });

  it("refuses device sets that are not well formed", () => {
    expect(() => encodeDeviceSet([key(1), key(1)])).toThrow(RangeError);
    expect(() => encodeDeviceSet([new Uint8Array(31)])).toThrow(RangeError);
    expect(encodeDeviceSet([key(2), key(1)])).toEqual(encodeDeviceSet([key(1), key(2)]));
  });
});

const FROZEN = "52493 97824 94817 98487 47147 47411 79742 22579 96472 46926 31936 57418";
