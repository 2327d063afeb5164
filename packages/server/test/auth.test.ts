import { describe, expect, it } from "vitest";
import { call, challenge, linkDevice, newKeys, proof, register, startTestServer, useServer, uniqueName, b64 } from "./helpers.js";

const server = useServer();

async function registerBody(name: string, birthdate = "1990-05-17") {
  const keys = await newKeys();
  const c = await challenge(server.url);
  return {
    keys,
    body: { name, birthdate, signatureKey: b64(keys.publicKey), challenge: c, signature: await proof(keys.signKey, "register", c) },
  };
}

describe("accounts and sessions", () => {
  it("registers, then logs in with a fresh challenge; a replayed challenge is rejected", async () => {
    const alice = await register(server.url);
    expect(alice.accountId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    const c = await challenge(server.url);
    const body = { deviceId: alice.deviceId, challenge: c, signature: await proof(alice.keys.signKey, "login", c) };
    const login = await call(server.url, "POST", "/v1/sessions", { json: body });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ accountId: alice.accountId, deviceId: alice.deviceId });
    expect(login.body.token).not.toBe(alice.token);
    const replay = await call(server.url, "POST", "/v1/sessions", { json: body });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe("SL_ERR_BAD_CHALLENGE");
    // Both tokens work.
    for (const token of [alice.token, login.body.token]) {
      expect((await call(server.url, "GET", `/v1/accounts/${alice.accountId}`, { token })).status).toBe(200);
    }
  });

  it("rejects a registration replay and a proof for the wrong purpose or key", async () => {
    const { body } = await registerBody(uniqueName());
    expect((await call(server.url, "POST", "/v1/accounts", { json: body })).status).toBe(201);
    const again = await call(server.url, "POST", "/v1/accounts", { json: { ...body, name: uniqueName() } });
    expect(again.status).toBe(401);

    const keys = await newKeys();
    const c = await challenge(server.url);
    const wrongPurpose = await call(server.url, "POST", "/v1/accounts", {
      json: { name: uniqueName(), birthdate: "1990-01-01", signatureKey: b64(keys.publicKey), challenge: c, signature: await proof(keys.signKey, "login", c) },
    });
    expect(wrongPurpose.status).toBe(401);
    expect(wrongPurpose.body.error.code).toBe("SL_ERR_BAD_PROOF");
    const other = await newKeys();
    const wrongKey = await call(server.url, "POST", "/v1/accounts", {
      json: { name: uniqueName(), birthdate: "1990-01-01", signatureKey: b64(other.publicKey), challenge: c, signature: await proof(keys.signKey, "register", c) },
    });
    expect(wrongKey.body.error.code).toBe("SL_ERR_BAD_PROOF");
  });

  it("case-folds names and keeps them unique", async () => {
    const name = uniqueName("Mixed");
    const first = await registerBody(name);
    expect((await call(server.url, "POST", "/v1/accounts", { json: first.body })).status).toBe(201);
    const dup = await registerBody(name.toLowerCase());
    const res = await call(server.url, "POST", "/v1/accounts", { json: dup.body });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("SL_ERR_NAME_TAKEN");
    const viewer = await register(server.url);
    const found = await call(server.url, "GET", `/v1/accounts/by-name/${name.toUpperCase()}`, { token: viewer.token });
    expect(found.status).toBe(200);
    expect(found.body.name).toBe(name.toLowerCase());
    expect(found.body.devices).toHaveLength(1);
    expect(found.body).not.toHaveProperty("birthdate");
  });

  it.each([
    ["bad name", { name: "a" }],
    ["bad characters", { name: "no-dashes" }],
    ["impossible date", { birthdate: "2001-02-29" }],
    ["future date", { birthdate: `${new Date().getUTCFullYear() + 1}-01-01` }],
    ["not a date", { birthdate: "yesterday" }],
  ])("rejects %s with 400", async (_label, patch) => {
    const { body } = await registerBody(uniqueName());
    const res = await call(server.url, "POST", "/v1/accounts", { json: { ...body, ...patch } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("SL_ERR_BAD_REQUEST");
  });

  it("refuses a second device with the same signature key", async () => {
    const { keys, body } = await registerBody(uniqueName());
    expect((await call(server.url, "POST", "/v1/accounts", { json: body })).status).toBe(201);
    const c = await challenge(server.url);
    const res = await call(server.url, "POST", "/v1/accounts", {
      json: { ...body, name: uniqueName(), challenge: c, signature: await proof(keys.signKey, "register", c) },
    });
    expect(res.body.error.code).toBe("SL_ERR_KEY_TAKEN");
  });

  it("401s forged, malformed and missing tokens", async () => {
    const forged = b64(crypto.getRandomValues(new Uint8Array(32)));
    for (const token of [forged, "x", "!!!", ""]) {
      const res = await call(server.url, "GET", "/v1/queue", { token });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("SL_ERR_UNAUTHENTICATED");
    }
    expect((await call(server.url, "GET", "/v1/queue")).status).toBe(401);
  });

  it("links a device with a one-time code and tells the other devices", async () => {
    const alice = await register(server.url);
    const phone = await linkDevice(server.url, alice);
    expect(phone.accountId).toBe(alice.accountId);
    expect(phone.deviceId).not.toBe(alice.deviceId);
    const q = await call(server.url, "GET", "/v1/queue", { token: alice.token });
    expect(q.body.items).toHaveLength(1);
    expect(q.body.items[0]).toMatchObject({ kind: "device-linked", sender: { accountId: alice.accountId, deviceId: phone.deviceId } });
    expect(q.body.items[0]).not.toHaveProperty("data");
    expect((await call(server.url, "GET", "/v1/queue", { token: phone.token })).body.items).toHaveLength(0);
    const entry = await call(server.url, "GET", `/v1/accounts/${alice.accountId}`, { token: phone.token });
    expect(entry.body.devices.map((d: { deviceId: string }) => d.deviceId).sort()).toEqual([alice.deviceId, phone.deviceId].sort());

    // The code is single use.
    const code = await call(server.url, "POST", "/v1/link-codes", { token: alice.token, json: {} });
    const use = async () => {
      const keys = await newKeys();
      const c = await challenge(server.url);
      return call(server.url, "POST", "/v1/devices", {
        json: { code: code.body.code, signatureKey: b64(keys.publicKey), challenge: c, signature: await proof(keys.signKey, "link", c) },
      });
    };
    expect((await use()).status).toBe(201);
    const second = await use();
    expect(second.status).toBe(400);
    expect(second.body.error.code).toBe("SL_ERR_BAD_LINK_CODE");
  });
});

describe("token lifetime", () => {
  it("rejects an expired token", async () => {
    const short = await startTestServer({ tokenLifetimeMs: 3000 });
    try {
      const dev = await register(short.url);
      const expiresAt = (dev as unknown as { expiresAt: number }).expiresAt;
      expect(expiresAt).toBeGreaterThan(Date.now());
      expect((await call(short.url, "GET", "/v1/queue", { token: dev.token })).status).toBe(200);
      await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 50));
      const res = await call(short.url, "GET", "/v1/queue", { token: dev.token });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("SL_ERR_UNAUTHENTICATED");
    } finally {
      await short.stop();
    }
  });
});
