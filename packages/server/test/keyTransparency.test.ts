/** The key-transparency log on a real server: every registered or linked device is logged, heads are
 *  signed under a published franking key, and the served proofs verify with @safelight/protocol. */
import { describe, expect, it } from "vitest";
import { fromB64, toB64, verifyKtConsistency, verifyKtInclusion, verifyTreeHead, type KtEntry, type SignedTreeHead } from "@safelight/protocol";
import { call, keyPackage, linkDevice, register, useServer } from "./helpers.js";

const server = useServer();

async function verifiedHead(): Promise<SignedTreeHead & { keyId: string }> {
  const head = (await call(server.url, "GET", "/v1/kt/head")).body;
  const keys = (await call(server.url, "GET", "/v1/franking/keys")).body.keys as { keyId: string; publicKey: string }[];
  const key = keys.find((k) => k.keyId === head.keyId);
  expect(key).toBeDefined();
  expect(verifyTreeHead(fromB64(key!.publicKey)!, head)).toBe(true);
  return head;
}

describe("key-transparency log", () => {
  it("logs each registered and linked device, and proves every entry and every growth of the log", async () => {
    const alice = await register(server.url);
    const first = await verifiedHead();
    const laptop = await linkDevice(server.url, alice);
    const bob = await register(server.url);
    const second = await verifiedHead();
    expect(second.treeSize).toBe(first.treeSize + 2);

    const { entries } = (await call<{ entries: KtEntry[] }>(server.url, "GET", `/v1/kt/entries?start=0&end=${second.treeSize}`)).body;
    expect(entries).toHaveLength(second.treeSize);
    for (const d of [alice, laptop, bob]) {
      expect(entries).toContainEqual(expect.objectContaining({ accountId: d.accountId, deviceId: d.deviceId, action: "add", publicKey: toB64(d.keys.publicKey) }));
    }
    for (const [index, entry] of entries.entries()) {
      const { proof } = (await call(server.url, "GET", `/v1/kt/inclusion?index=${index}&treeSize=${second.treeSize}`)).body;
      expect(verifyKtInclusion(second, entry, index, proof)).toBe(true);
    }
    const { proof } = (await call(server.url, "GET", `/v1/kt/consistency?first=${first.treeSize}&second=${second.treeSize}`)).body;
    expect(verifyKtConsistency(first, second, proof)).toBe(true);
    // The logged history is fixed: a different entry at an index does not verify against the head.
    expect(verifyKtInclusion(second, { ...entries[0]!, publicKey: toB64(bob.keys.publicKey) }, 0, [])).toBe(false);
  });

  it("every directory answer proves each device key it serves against one signed head", async () => {
    const bob = await register(server.url);
    const laptop = await linkDevice(server.url, bob);
    const alice = await register(server.url);
    for (const d of [bob, laptop]) {
      const kp = await keyPackage(d, d.keys);
      expect((await call(server.url, "POST", "/v1/key-packages", { token: d.token, json: { keyPackages: [kp.b64], lastResort: kp.b64 } })).status).toBe(200);
    }
    const account = (await call(server.url, "GET", `/v1/accounts/${bob.accountId}`, { token: alice.token })).body;
    const claim = (await call(server.url, "POST", "/v1/key-packages/claim", { token: alice.token, json: { accountId: bob.accountId } })).body;
    expect(claim.keyPackages).toHaveLength(2);
    const keyOf = new Map([bob, laptop].map((d) => [d.deviceId, toB64(d.keys.publicKey)]));
    for (const { kt } of [account, claim]) {
      const keys = (await call(server.url, "GET", "/v1/franking/keys")).body.keys as { keyId: string; publicKey: string }[];
      expect(verifyTreeHead(fromB64(keys.find((k) => k.keyId === kt.head.keyId)!.publicKey)!, kt.head)).toBe(true);
      expect(kt.devices.map((d: { deviceId: string }) => d.deviceId).sort()).toEqual([...keyOf.keys()].sort());
      for (const d of kt.devices as { deviceId: string; index: number; time: number; proof: string[] }[]) {
        const entry: KtEntry = { accountId: bob.accountId, deviceId: d.deviceId, action: "add", publicKey: keyOf.get(d.deviceId)!, time: d.time };
        expect(verifyKtInclusion(kt.head, entry, d.index, d.proof)).toBe(true);
        // The proof binds the key: alice's key in bob's entry does not verify.
        expect(verifyKtInclusion(kt.head, { ...entry, publicKey: toB64(alice.keys.publicKey) }, d.index, d.proof)).toBe(false);
      }
    }
  });

  it("answers 400 SL_ERR_BAD_REQUEST for proofs beyond the log", async () => {
    const { treeSize } = await verifiedHead();
    for (const path of [`/v1/kt/consistency?first=${treeSize + 1}&second=${treeSize + 2}`, `/v1/kt/inclusion?index=${treeSize}&treeSize=${treeSize}`]) {
      const res = await call(server.url, "GET", path);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("SL_ERR_BAD_REQUEST");
    }
  });
});
