import { describe, expect, it } from "vitest";
import { b64, call, keyPackage, linkDevice, newKeys, register, useServer, unb64 } from "./helpers.js";

const server = useServer();

const upload = (token: string, json: unknown) => call(server.url, "POST", "/v1/key-packages", { token, json });
const count = async (token: string) => (await call(server.url, "GET", "/v1/key-packages/count", { token })).body;

describe("KeyPackage directory", () => {
  it("accepts packages naming the uploader with its registered key", async () => {
    const dev = await register(server.url);
    const kps = await Promise.all([1, 2, 3].map(() => keyPackage(dev, dev.keys)));
    const last = await keyPackage(dev, dev.keys);
    const res = await upload(dev.token, { keyPackages: kps.map((k) => k.b64), lastResort: last.b64 });
    expect(res).toMatchObject({ status: 200, body: { stored: 4, available: 3 } });
    expect(await count(dev.token)).toEqual({ available: 3, lastResort: true });
  });

  it("SL-V001 SL-V004 SL-V005 rejects a credential naming another device, a wrong signature key, garbage and non-KeyPackages", async () => {
    const dev = await register(server.url);
    const other = await register(server.url);
    const cases: [string, string][] = [
      ["other identity", (await keyPackage(other, dev.keys)).b64],
      ["unknown identity", (await keyPackage({ accountId: dev.accountId, deviceId: "nope" }, dev.keys)).b64],
      ["wrong signature key", (await keyPackage(dev, await newKeys())).b64],
      ["another device's package", (await keyPackage(other, other.keys)).b64],
    ];
    for (const [label, kp] of cases) {
      const res = await upload(dev.token, { keyPackages: [kp] });
      expect(res.status, label).toBe(400);
      expect(res.body.error.code, label).toBe("SL_ERR_BAD_KEY_PACKAGE");
    }
    const good = await keyPackage(dev, dev.keys);
    const bytes = unb64(good.b64);
    const tampered = bytes.slice();
    tampered[tampered.length - 5]! ^= 0xff; // inside the signature
    const garbage: [string, string][] = [
      ["truncated", b64(bytes.subarray(0, bytes.length - 10))],
      ["trailing bytes", b64(new Uint8Array([...bytes, 0]))],
      ["random", b64(crypto.getRandomValues(new Uint8Array(200)))],
      ["empty", ""],
    ];
    for (const [label, kp] of garbage) {
      const res = await upload(dev.token, { keyPackages: [kp] });
      expect(res.status, label).toBe(400);
      expect(res.body.error.code, label).toBe("SL_ERR_BAD_MLS");
    }
    // Still decodes, but KeyPackage.signature no longer verifies (RFC 9420 §10.1).
    const bad = await upload(dev.token, { keyPackages: [b64(tampered)] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("SL_ERR_BAD_KEY_PACKAGE");
    // A batch with one bad package stores nothing.
    const mixed = await upload(dev.token, { keyPackages: [good.b64, cases[0]![1]] });
    expect(mixed.status).toBe(400);
    expect(await count(dev.token)).toEqual({ available: 0, lastResort: false });
  });

  it("claims one package per device, the last resort when none are left, and honours excludeDeviceId", async () => {
    const bob = await register(server.url);
    const bobPhone = await linkDevice(server.url, bob);
    const alice = await register(server.url);
    const one = await keyPackage(bob, bob.keys);
    const last = await keyPackage(bob, bob.keys);
    await upload(bob.token, { keyPackages: [one.b64], lastResort: last.b64 });
    const phoneKp = await keyPackage(bobPhone, bobPhone.keys);
    await upload(bobPhone.token, { keyPackages: [phoneKp.b64] });

    const claim = () => call(server.url, "POST", "/v1/key-packages/claim", { token: alice.token, json: { accountId: bob.accountId } });
    const first = await claim();
    expect(first.body.keyPackages).toEqual(
      expect.arrayContaining([
        { accountId: bob.accountId, deviceId: bob.deviceId, keyPackage: one.b64 },
        { accountId: bob.accountId, deviceId: bobPhone.deviceId, keyPackage: phoneKp.b64 },
      ]),
    );
    const second = await claim();
    // The laptop falls back to (and keeps) its last resort; the phone has nothing left.
    expect(second.body.keyPackages).toEqual([{ accountId: bob.accountId, deviceId: bob.deviceId, keyPackage: last.b64 }]);
    expect((await claim()).body.keyPackages).toHaveLength(1);
    expect(await count(bob.token)).toEqual({ available: 0, lastResort: true });

    const own = await call(server.url, "POST", "/v1/key-packages/claim", {
      token: bob.token,
      json: { accountId: bob.accountId, excludeDeviceId: bob.deviceId },
    });
    expect(own.body.keyPackages).toEqual([]);
    const missing = await call(server.url, "POST", "/v1/key-packages/claim", { token: alice.token, json: { accountId: "nobody" } });
    expect(missing.status).toBe(404);
  });

  it("hands out each one-time package at most once under 200 concurrent claims of 50", async () => {
    const bob = await register(server.url);
    const kps = await Promise.all(Array.from({ length: 50 }, () => keyPackage(bob, bob.keys)));
    expect((await upload(bob.token, { keyPackages: kps.map((k) => k.b64) })).body.available).toBe(50);
    const claimers = await Promise.all(Array.from({ length: 4 }, () => register(server.url)));
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call(server.url, "POST", "/v1/key-packages/claim", { token: claimers[i % 4]!.token, json: { accountId: bob.accountId } }),
      ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const handed = results.flatMap((r) => r.body.keyPackages.map((k: { keyPackage: string }) => k.keyPackage));
    expect(handed).toHaveLength(50);
    expect(new Set(handed).size).toBe(50);
    expect(new Set(handed)).toEqual(new Set(kps.map((k) => k.b64)));
    expect(await count(bob.token)).toEqual({ available: 0, lastResort: false });
  });
});
