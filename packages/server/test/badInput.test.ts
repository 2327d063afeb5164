import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addProposal, b64, call, commit, keyPackage, newGroup, register, startTestServer, unb64, type Device, type TestServer } from "./helpers.js";
import { testBackend } from "../src/testing.js";

let server: TestServer;
let alice: Device;
let bob: Device;
let eve: Device;
let groupId: Uint8Array;
let goodCommit: { commit: string; welcome?: string };

beforeAll(async () => {
  server = await startTestServer();
  [alice, bob, eve] = (await Promise.all([register(server.url), register(server.url), register(server.url)])) as [Device, Device, Device];
  const g = await newGroup(server.url, alice);
  groupId = g.groupId;
  const kp = await keyPackage(bob, bob.keys);
  const c = await commit(g.state, [addProposal(kp.publicPackage)]);
  goodCommit = { commit: c.commit, welcome: c.welcome! };
});
afterAll(async () => server.stop());

const commitsPath = () => `/v1/groups/${b64(groupId)}/commits`;

/** Nothing any bad request may leave behind: group at epoch 0 with alice alone, empty queues. */
async function expectNothingStored() {
  const g = await call(server.url, "GET", `/v1/groups/${b64(groupId)}`, { token: alice.token });
  expect(g.body).toMatchObject({ epoch: 0, members: [{ leaf: 0, deviceId: alice.deviceId }] });
  for (const d of [alice, bob, eve]) expect((await call(server.url, "GET", "/v1/queue", { token: d.token })).body.items).toEqual([]);
  expect((await call(server.url, "GET", "/v1/key-packages/count", { token: bob.token })).body).toEqual({ available: 0, lastResort: false });
}

describe("bad input never stores anything and never stops the server", () => {
  const commitBytes = () => unb64(goodCommit.commit);
  const cases: [string, () => Promise<{ status: number; body: any }>, number, string][] = [
    ["malformed JSON", () => call(server.url, "POST", commitsPath(), { token: alice.token, raw: '{"commit": "AA' }), 400, "SL_ERR_MALFORMED_JSON"],
    ["empty JSON body", () => call(server.url, "POST", commitsPath(), { token: alice.token, raw: "" }), 400, "SL_ERR_MALFORMED_JSON"],
    ["JSON array", () => call(server.url, "POST", commitsPath(), { token: alice.token, json: [1, 2] }), 400, "SL_ERR_BAD_REQUEST"],
    ["missing field", () => call(server.url, "POST", commitsPath(), { token: alice.token, json: { welcome: "AA" } }), 400, "SL_ERR_BAD_REQUEST"],
    ["unknown field", () => call(server.url, "POST", commitsPath(), { token: alice.token, json: { ...goodCommit, extra: 1 } }), 400, "SL_ERR_BAD_REQUEST"],
    ["wrong type", () => call(server.url, "POST", commitsPath(), { token: alice.token, json: { commit: 42 } }), 400, "SL_ERR_BAD_REQUEST"],
    ["non-base64url", () => call(server.url, "POST", commitsPath(), { token: alice.token, json: { commit: "a+b/" } }), 400, "SL_ERR_BAD_REQUEST"],
    ["non-canonical base64url", () => call(server.url, "POST", commitsPath(), { token: alice.token, json: { commit: "AB" } }), 400, "SL_ERR_BAD_REQUEST"],
    ["oversized JSON", () => call(server.url, "POST", commitsPath(), { token: alice.token, json: { commit: "A".repeat(1024 * 1024 + 10) } }), 413, "SL_ERR_TOO_LARGE"],
    ["SL-V001 garbage MLS", () => call(server.url, "POST", commitsPath(), { token: alice.token, json: { commit: b64(crypto.getRandomValues(new Uint8Array(300))) } }), 400, "SL_ERR_BAD_MLS"],
    ["SL-V001 truncated MLS", () => call(server.url, "POST", commitsPath(), { token: alice.token, json: { ...goodCommit, commit: b64(commitBytes().subarray(0, commitBytes().length - 7)) } }), 400, "SL_ERR_BAD_MLS"],
    ["truncated welcome", () => call(server.url, "POST", commitsPath(), { token: alice.token, json: { ...goodCommit, welcome: goodCommit.welcome!.slice(0, 40) } }), 400, "SL_ERR_BAD_MLS"],
    ["SL-V001 commit with trailing bytes", () => call(server.url, "POST", commitsPath(), { token: alice.token, json: { ...goodCommit, commit: b64(new Uint8Array([...commitBytes(), 1, 2])) } }), 400, "SL_ERR_BAD_MLS"],
    ["SL-V002 welcome in the commit field", () => call(server.url, "POST", commitsPath(), { token: alice.token, json: { commit: goodCommit.welcome } }), 400, "SL_ERR_BAD_MLS"],
    ["garbage application message", () => call(server.url, "POST", `/v1/groups/${b64(groupId)}/messages`, { token: alice.token, json: { message: "AAAAAAAA" } }), 400, "SL_ERR_BAD_MLS"],
    ["unknown group", () => call(server.url, "POST", `/v1/groups/${b64(new Uint8Array(32))}/commits`, { token: alice.token, json: goodCommit }), 404, "SL_ERR_NOT_FOUND"],
    ["group id too short", () => call(server.url, "GET", `/v1/groups/${b64(new Uint8Array(8))}`, { token: alice.token }), 400, "SL_ERR_BAD_REQUEST"],
    ["SL-V003 non-member commit", () => call(server.url, "POST", commitsPath(), { token: eve.token, json: goodCommit }), 403, "SL_ERR_FORBIDDEN"],
    ["SL-V003 non-member read", () => call(server.url, "GET", `/v1/groups/${b64(groupId)}`, { token: eve.token }), 403, "SL_ERR_FORBIDDEN"],
    ["forged token", () => call(server.url, "POST", commitsPath(), { token: b64(crypto.getRandomValues(new Uint8Array(32))), json: goodCommit }), 401, "SL_ERR_UNAUTHENTICATED"],
    ["no token", () => call(server.url, "POST", commitsPath(), { json: goodCommit }), 401, "SL_ERR_UNAUTHENTICATED"],
    ["bad key package upload", () => call(server.url, "POST", "/v1/key-packages", { token: bob.token, json: { keyPackages: [goodCommit.commit] } }), 400, "SL_ERR_BAD_MLS"],
    ["plain GET of the WebSocket endpoint (found by fuzzing)", () => call(server.url, "GET", "/v1/ws", { token: alice.token }), 400, "SL_ERR_BAD_REQUEST"],
    ["unknown route", () => call(server.url, "GET", "/v1/nope", { token: alice.token }), 404, "SL_ERR_NOT_FOUND"],
    ["prototype poisoning", () => call(server.url, "POST", commitsPath(), { token: alice.token, raw: '{"commit":"AA","__proto__":{"x":1}}' }), 400, "SL_ERR_MALFORMED_JSON"],
  ];

  it.each(cases)("%s", async (_label, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(typeof res.body.error.message).toBe("string");
    expect(res.body.error.message.length).toBeGreaterThan(0);
  });

  it("left nothing behind and still serves", async () => {
    await expectNothingStored();
    expect((await call(server.url, "GET", "/healthz")).body).toMatchObject({ status: "ok", database: { backend: testBackend, ok: true } });
    // The untouched good commit still goes through afterwards.
    expect((await call(server.url, "POST", commitsPath(), { token: alice.token, json: goodCommit })).status).toBe(200);
  });

  it("validation messages name the problem", async () => {
    const res = await call(server.url, "POST", commitsPath(), { token: alice.token, json: { welcome: "AA" } });
    expect(res.body.error.message).toMatch(/commit/);
  });

  it("every bit-truncation of a real commit is a clean 400", async () => {
    const bytes = commitBytes();
    const lengths = new Set([0, 1, 2, 3, 4, 5, 8, 16, 32, 64, 100, bytes.length - 1]);
    for (let n = 0; n < bytes.length; n += 37) lengths.add(n);
    for (const n of lengths) {
      const res = await call(server.url, "POST", commitsPath(), { token: alice.token, json: { commit: b64(bytes.subarray(0, n)) } });
      expect(res.status, `length ${n}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `length ${n}`).toBeLessThan(500);
    }
  });
});
