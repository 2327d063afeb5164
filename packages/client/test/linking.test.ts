/**
 * The linking race: the server announces a new device before that device has uploaded KeyPackages. The
 * existing device must keep the announcement and add the new device once it can (real server in-process).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer } from "@safelight/server";
import { backendOptions } from "@safelight/server/testing";
import { SafelightClient } from "@safelight/client";
import { SqliteClientStore } from "@safelight/client/node";
import { createEngine, generateDeviceKeys, newKeyPackage, signChallenge, toB64 } from "@safelight/protocol";
import { nodeCryptoProvider } from "@safelight/protocol/node";

let dir: string;
let server: { url: string; close(): Promise<void> };

async function newClient(name: string): Promise<SafelightClient> {
  const client = new SafelightClient({ store: new SqliteClientStore(join(dir, `${name}.db`)), provider: nodeCryptoProvider });
  await client.register(server.url, name, "1990-05-05");
  return client;
}

async function post<T>(path: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(new URL(path, server.url), {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (await res.json()) as T;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "safelight-linking-"));
  server = await startServer({ dataDir: join(dir, "server"), host: "127.0.0.1", port: 0, handleSignals: false, logger: false, ...backendOptions(join(dir, "server")) });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

it("a device linked before it has KeyPackages is added once it uploads them", async () => {
  const alice = await newClient("alice");
  const bob = await newClient("bob");
  const { conversation } = await bob.sendText("alice", "hi alice");
  await alice.sync();

  // The new device joins the account but has not uploaded KeyPackages yet.
  const { code } = await alice.createLinkCode();
  const keys = generateDeviceKeys();
  const { challenge } = await post<{ challenge: string }>("/v1/auth/challenge", {});
  const session = await post<{ accountId: string; deviceId: string; token: string }>("/v1/devices", {
    code,
    signatureKey: toB64(keys.publicKey),
    challenge,
    signature: toB64(signChallenge(keys, "link", challenge)),
  });
  const deviceIds = async () => (await alice.serverView(conversation)).members.map((m) => m.deviceId);

  await alice.sync(); // sees `device-linked`, can claim nothing yet: keeps the event
  expect(await deviceIds()).not.toContain(session.deviceId);

  const engine = await createEngine({ provider: nodeCryptoProvider, checkCredential: async () => true });
  const kp = await newKeyPackage(engine, { accountId: session.accountId, deviceId: session.deviceId }, keys);
  await post("/v1/key-packages", { keyPackages: [toB64(kp.keyPackage)] }, session.token);

  await alice.sync(); // retries the kept event and adds the device
  expect(await deviceIds()).toContain(session.deviceId);
  await Promise.all([alice.close(), bob.close()]);
});
