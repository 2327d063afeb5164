/** Listing and removing an account's devices on a real server (docs/protocol.md, "Devices"): the removed
 *  device loses its token, socket, KeyPackages, queue and any new login, the directory stops serving it,
 *  and the key-transparency log gains its `revoke` entry, provably included under a signed head. */
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { fromB64, toB64, verifyKtInclusion, verifyTreeHead, type KtEntry } from "@safelight/protocol";
import { queryTestStore } from "../src/testing.js";
import { call, challenge, keyPackage, linkDevice, proof, register, useServer, type Device } from "./helpers.js";

const server = useServer();

async function uploadKeyPackage(d: Device): Promise<void> {
  const kp = await keyPackage(d, d.keys);
  expect((await call(server.url, "POST", "/v1/key-packages", { token: d.token, json: { keyPackages: [kp.b64], lastResort: kp.b64 } })).status).toBe(200);
}

/** Resolves with the close code once the server closes the socket. */
function openSocket(token: string): Promise<{ closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/v1/ws`, { headers: { authorization: `Bearer ${token}` } });
    const closed = new Promise<number>((done) => ws.once("close", (code) => done(code)));
    ws.once("open", () => resolve({ closed }));
    ws.once("error", reject);
  });
}

async function login(d: Device) {
  const c = await challenge(server.url);
  return call(server.url, "POST", "/v1/sessions", { json: { deviceId: d.deviceId, challenge: c, signature: await proof(d.keys.signKey, "login", c) } });
}

describe("an account's devices", () => {
  it("lists the account's devices with their keys and marks the caller", async () => {
    const alice = await register(server.url);
    const phone = await linkDevice(server.url, alice);
    const res = await call(server.url, "GET", "/v1/devices", { token: phone.token });
    expect(res.status).toBe(200);
    expect(res.body.devices).toEqual([
      { deviceId: alice.deviceId, signatureKey: toB64(alice.keys.publicKey), createdAt: expect.any(Number), current: false },
      { deviceId: phone.deviceId, signatureKey: toB64(phone.keys.publicKey), createdAt: expect.any(Number), current: true },
    ]);
  });

  it("removing a device ends its token, socket and login, drops its KeyPackages and queue, and logs a revoke", async () => {
    const alice = await register(server.url);
    const phone = await linkDevice(server.url, alice);
    const bob = await register(server.url);
    await uploadKeyPackage(alice);
    await uploadKeyPackage(phone);
    // Something waits in the phone's queue: the device-linked event of a third device.
    const laptop = await linkDevice(server.url, alice);
    expect(await queryTestStore(server.dataDir, "SELECT 1 FROM queue WHERE device_id = ?", [phone.deviceId])).toHaveLength(1);
    const socket = await openSocket(phone.token);

    const removed = await call(server.url, "DELETE", `/v1/devices/${phone.deviceId}`, { token: laptop.token });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ deviceId: phone.deviceId, revokedAt: expect.any(Number) });

    expect(await socket.closed).toBe(1008);
    expect((await call(server.url, "GET", "/v1/queue", { token: phone.token })).status).toBe(401);
    const again = await login(phone);
    expect(again.status).toBe(403);
    expect(again.body.error.code).toBe("SL_ERR_DEVICE_REVOKED");
    expect(await queryTestStore(server.dataDir, "SELECT 1 FROM queue WHERE device_id = ?", [phone.deviceId])).toEqual([]);
    expect(await queryTestStore(server.dataDir, "SELECT 1 FROM key_packages WHERE device_id = ?", [phone.deviceId])).toEqual([]);

    // The directory no longer serves it: not in the account, no KeyPackage claimed, not in the list.
    const account = (await call(server.url, "GET", `/v1/accounts/${alice.accountId}`, { token: bob.token })).body;
    expect(account.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual([alice.deviceId, laptop.deviceId]);
    const claim = (await call(server.url, "POST", "/v1/key-packages/claim", { token: bob.token, json: { accountId: alice.accountId } })).body;
    expect(claim.keyPackages.map((k: { deviceId: string }) => k.deviceId)).toEqual([alice.deviceId]);
    const listed = (await call(server.url, "GET", "/v1/devices", { token: alice.token })).body.devices;
    expect(listed.map((d: { deviceId: string }) => d.deviceId)).toEqual([alice.deviceId, laptop.deviceId]);
    // Nor can a KeyPackage it made before it was removed be uploaded again.
    const stale = await keyPackage(phone, phone.keys);
    expect((await call(server.url, "POST", "/v1/key-packages", { token: alice.token, json: { keyPackages: [stale.b64] } })).status).toBe(400);

    // The log's last entry is the revoke, with the removed key, included under a signed head.
    const head = (await call(server.url, "GET", "/v1/kt/head")).body;
    const keys = (await call(server.url, "GET", "/v1/franking/keys")).body.keys as { keyId: string; publicKey: string }[];
    expect(verifyTreeHead(fromB64(keys.find((k) => k.keyId === head.keyId)!.publicKey)!, head)).toBe(true);
    const index = head.treeSize - 1;
    const [entry] = (await call<{ entries: KtEntry[] }>(server.url, "GET", `/v1/kt/entries?start=${index}&end=${head.treeSize}`)).body.entries;
    expect(entry).toEqual({ accountId: alice.accountId, deviceId: phone.deviceId, action: "revoke", publicKey: toB64(phone.keys.publicKey), time: removed.body.revokedAt });
    const { proof: path } = (await call(server.url, "GET", `/v1/kt/inclusion?index=${index}&treeSize=${head.treeSize}`)).body;
    expect(verifyKtInclusion(head, entry!, index, path)).toBe(true);
  });

  it("refuses to remove the caller itself, another account's device, an unknown or an already removed one", async () => {
    const alice = await register(server.url);
    const phone = await linkDevice(server.url, alice);
    const bob = await register(server.url);
    const remove = (by: Device, deviceId: string) => call(server.url, "DELETE", `/v1/devices/${deviceId}`, { token: by.token });

    const self = await remove(alice, alice.deviceId);
    expect([self.status, self.body.error.code]).toEqual([400, "SL_ERR_BAD_REQUEST"]);
    for (const [by, id] of [[bob, phone.deviceId], [alice, "nosuchdevice"]] as const) {
      const res = await remove(by, id);
      expect([res.status, res.body.error.code]).toEqual([404, "SL_ERR_NOT_FOUND"]);
    }
    expect((await call(server.url, "GET", "/v1/devices", { token: phone.token })).status).toBe(200);
    expect((await remove(alice, phone.deviceId)).status).toBe(200);
    expect((await remove(alice, phone.deviceId)).status).toBe(404);
  });
});
