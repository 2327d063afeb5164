/**
 * Device changes are never silent (docs/safety-numbers.md), against a real server in-process playing the
 * "ghost participant" attack: the operator plants a link code for bob's account in its own database, links
 * a device of its own with it, and announces it to bob's devices, whose client adds it to the conversation
 * (as it adds every linked device). Alice's device must show the change and drop bob's verification.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer } from "@safelight/server";
import { backendOptions, queryTestStore, testBackend } from "@safelight/server/testing";
import { SafelightClient, deviceChangeText, type DeviceChange } from "@safelight/client";
import { SqliteClientStore } from "@safelight/client/node";
import { nodeCryptoProvider } from "@safelight/protocol/node";

let dir: string;
let data: string;
let server: { url: string; close(): Promise<void> };

const client = (name: string) => new SafelightClient({ store: new SqliteClientStore(join(dir, `${name}.db`)), provider: nodeCryptoProvider });

async function newClient(name: string): Promise<SafelightClient> {
  const c = client(name);
  await c.register(server.url, name, "1990-05-05");
  return c;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "safelight-device-changes-"));
  data = join(dir, "server");
  server = await startServer({ dataDir: data, host: "127.0.0.1", port: 0, handleSignals: false, logger: false, ...backendOptions(data) });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

it(`a ghost device the server adds to bob's account shows in alice's conversation and unverifies bob (${testBackend})`, async () => {
  const alice = await newClient("alice");
  const bob = await newClient("bob");
  const { conversation } = await alice.sendText("bob", "hi bob");
  await bob.sync();
  await alice.markVerified("bob", (await bob.safetyNumber("alice")).digits);
  expect((await alice.verification("bob")).verified).toBe(true);
  await alice.setVerifiedOnly(conversation, true);
  expect((await alice.sendText("bob", "bob is verified, this goes")).held).toBeUndefined();
  expect((await bob.sync()).map((m) => m.text)).toEqual(["bob is verified, this goes"]);
  const numberBefore = (await alice.safetyNumber("bob")).digits;

  // The malicious operator: a link code for bob's account written straight into its own store.
  const code = "ghost-code-planted-by-the-server";
  await queryTestStore(data, "INSERT INTO link_codes (code_hash, account_id, device_id, expires_at) VALUES (?, ?, ?, ?)", [
    createHash("sha256").update(code).digest(),
    bob.me.accountId,
    bob.me.deviceId,
    // The two backends store times differently: ms since the epoch (SQLite), timestamptz (PostgreSQL).
    testBackend === "sqlite" ? Date.now() + 60_000 : new Date(Date.now() + 60_000),
  ]);
  const ghost = client("ghost");
  await ghost.linkDevice(server.url, code);
  expect(ghost.me.accountId).toBe(bob.me.accountId);
  await bob.sync(); // bob's client adds the announced device to the conversation

  const seen: DeviceChange[] = [];
  alice.onDeviceChange((c) => seen.push(c));
  await alice.sync();
  expect(seen).toEqual([
    expect.objectContaining({ conversation, accountId: bob.me.accountId, name: "bob", deviceId: ghost.me.deviceId, change: "added", verifiedContactChanged: true }),
  ]);
  expect(deviceChangeText(seen[0]!)).toBe(`bob added a device '${ghost.me.deviceId}'`);
  expect(seen[0]!.at).toBeGreaterThan(Date.now() - 60_000);

  // The change is in alice's timeline for that conversation, and bob is no longer verified.
  const entries = (await alice.history(conversation)).filter((m) => m.device);
  // First bob's real device, added when alice created the conversation; then the ghost.
  expect(entries.map((m) => [m.device, m.senderDeviceId])).toEqual([
    ["added", bob.me.deviceId],
    ["added", ghost.me.deviceId],
  ]);
  expect(await alice.verification("bob")).toMatchObject({ verified: false, changedSinceVerified: true });
  expect((await alice.safetyNumber("bob")).digits).not.toBe(numberBefore);

  // "Verified contacts only": the next message is held, never encrypted, so the ghost cannot read it.
  const secret = "for bob's real devices only";
  const held = await alice.sendText("bob", secret);
  expect(held.held).toBe(true);
  expect(await alice.unconfirmedDevices(conversation)).toEqual(["bob"]);
  expect((await alice.history(conversation)).map((m) => m.text)).not.toContain(secret);
  expect(await ghost.sync()).toEqual([]); // it joined (Welcome) but nothing was encrypted to it
  expect(await bob.sync()).toEqual([]);

  // Alice confirms bob's devices as they are now: the held message goes, to every current device.
  expect((await alice.confirmDevices(conversation)).map((r) => r.id)).toHaveLength(1);
  expect((await bob.sync()).map((m) => m.text)).toEqual([secret]);
  // The ghost really is a member that can decrypt: it reads the message now that alice let it through.
  expect((await ghost.sync()).map((m) => m.text)).toEqual([secret]);
  expect(await alice.unconfirmedDevices(conversation)).toEqual([]);
  expect((await alice.verification("bob")).verified).toBe(true);

  // Bob's own device recorded the change it committed, too.
  expect((await bob.history(conversation)).filter((m) => m.device).map((m) => m.senderDeviceId)).toEqual([ghost.me.deviceId]);
  for (const c of [alice, bob, ghost]) await c.close();
});
