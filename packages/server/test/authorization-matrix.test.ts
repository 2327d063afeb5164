/**
 * The authorization matrix (docs/reliability.md): every route of the real server × every role, with the
 * expected status in one table. The routes are read from Fastify (test/routes.ts): a route without a row
 * fails the test. Resources (group, blob, KeyPackages, hash list, a spare device) belong to `owner`; the cells
 * ask who else reaches them. `revoked` is a device of owner's that owner removed (DELETE /v1/devices/:deviceId
 * ended its session); `banned` is a banned account's device (the ban ended every session). `expired` is
 * a session past its expiry (set in the store: the same `expires_at < now` check a short
 * `tokenLifetimeMs` leads to).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { openStorage } from "../src/backends.js";
import { resolveConfig } from "../src/config.js";
import { setAccountRole } from "../src/index.js";
import { queryTestStore, storageTarget, testBackend } from "../src/testing.js";
import { b64, call, challenge, keyPackage, linkDevice, newGroup, proof, register, startTestServer, type Device, type TestServer } from "./helpers.js";
import { serverRoutes } from "./routes.js";

const ROLES = ["anonymous", "stranger", "ownOther", "revoked", "banned", "moderator", "admin", "expired"] as const;
type Role = (typeof ROLES)[number];
type Row = Record<Role, number>;

/** Rows of routes every role reaches alike (public, or checked before the session). */
const all = (n: number): Row => ({ anonymous: n, stranger: n, ownOther: n, revoked: n, banned: n, moderator: n, admin: n, expired: n });
/** A session is needed: no session, an ended one and an expired one are 401; live sessions get `live`. */
const authed = (live: number, over: Partial<Row> = {}): Row => ({ ...all(live), anonymous: 401, revoked: 401, banned: 401, expired: 401, ...over });
const moderatorOnly = (ok: number): Row => authed(403, { moderator: ok, admin: ok });
const adminOnly = (ok: number): Row => authed(403, { admin: ok });

let server: TestServer;
let ids: { group: string; blob: string; owner: Device; spare: Device };
let who: Record<Role, Device | undefined>;

interface Request {
  path: string;
  json?: unknown;
  raw?: Uint8Array;
  contentType?: string;
}

/** One request per route (owner's resources), and the expected status per role. */
function table(): Record<string, [Request, Row]> {
  const { group, blob, owner, spare } = ids;
  const csv = { name: "l", sourceOrg: "o", csv: `hash\n${"0".repeat(63)}1\n` };
  return {
    "GET /health": [{ path: "/health" }, all(200)],
    "GET /healthz": [{ path: "/healthz" }, all(200)],
    "GET /v1/openapi.json": [{ path: "/v1/openapi.json" }, all(200)],
    "GET *": [{ path: "/index.html" }, all(200)],
    "POST /v1/auth/challenge": [{ path: "/v1/auth/challenge", json: {} }, all(200)],
    // Registration and login check the signed challenge, not a session (the body decides).
    "POST /v1/accounts": [{ path: "/v1/accounts", json: { name: "x" } }, all(400)],
    "POST /v1/sessions": [{ path: "/v1/sessions", json: {} }, all(400)],
    "POST /v1/devices": [{ path: "/v1/devices", json: {} }, all(400)],
    "GET /v1/devices": [{ path: "/v1/devices" }, authed(200)],
    // Only owner's other device may remove owner's spare (and it does, at its turn); other accounts learn nothing.
    "DELETE /v1/devices/:deviceId": [{ path: `/v1/devices/${spare.deviceId}` }, authed(404, { ownOther: 200 })],
    "POST /v1/link-codes": [{ path: "/v1/link-codes", json: {} }, authed(200)],
    "GET /v1/accounts/by-name/:name": [{ path: `/v1/accounts/by-name/${owner.name}` }, authed(200)],
    "GET /v1/accounts/:accountId": [{ path: `/v1/accounts/${owner.accountId}` }, authed(200)],
    "GET /v1/accounts/:accountId/picture": [{ path: `/v1/accounts/${owner.accountId}/picture` }, authed(404)],
    // KeyPackages: uploads are the caller's own (an empty upload is accepted); claims take one of owner's.
    "POST /v1/key-packages": [{ path: "/v1/key-packages", json: { keyPackages: [] } }, authed(200)],
    "GET /v1/key-packages/count": [{ path: "/v1/key-packages/count" }, authed(200)],
    "POST /v1/key-packages/claim": [{ path: "/v1/key-packages/claim", json: { accountId: owner.accountId } }, authed(200)],
    "GET /v1/kt/head": [{ path: "/v1/kt/head" }, all(200)],
    "GET /v1/kt/entries": [{ path: "/v1/kt/entries?start=0&end=2" }, all(200)],
    "GET /v1/kt/consistency": [{ path: "/v1/kt/consistency?first=1&second=2" }, all(200)],
    "GET /v1/kt/inclusion": [{ path: "/v1/kt/inclusion?index=0&treeSize=1" }, all(200)],
    // Owner's group: membership is per device (an MLS leaf), so even owner's other device is refused.
    "POST /v1/groups": [{ path: "/v1/groups", json: { groupId: group } }, authed(409)],
    "GET /v1/groups/:groupId": [{ path: `/v1/groups/${group}` }, authed(403)],
    "POST /v1/groups/:groupId/commits": [{ path: `/v1/groups/${group}/commits`, json: { commit: "AAAA" } }, authed(403)],
    "POST /v1/groups/:groupId/messages": [{ path: `/v1/groups/${group}/messages`, json: { message: "AAAA" } }, authed(403)],
    // The group picture is checked per account (profile.ts requireMember): owner's other device passes.
    "PUT /v1/groups/:groupId/picture": [{ path: `/v1/groups/${group}/picture`, raw: new Uint8Array([1, 2, 3]), contentType: "image/png" }, authed(403, { ownOther: 415 })],
    "GET /v1/groups/:groupId/picture": [{ path: `/v1/groups/${group}/picture` }, authed(403, { ownOther: 404 })],
    // Queues are per device: a caller only ever reads and acks its own (checked below: never owner's items).
    "GET /v1/queue": [{ path: "/v1/queue" }, authed(200)],
    "POST /v1/queue/ack": [{ path: "/v1/queue/ack", json: { ids: ["x"] } }, authed(200)],
    "GET /v1/ws": [{ path: "/v1/ws" }, authed(400)],
    "GET /v1/franking/keys": [{ path: "/v1/franking/keys" }, all(200)],
    "POST /v1/reports": [{ path: "/v1/reports", json: { reason: "spam" } }, authed(400)],
    // Blobs are capabilities: anyone with a session and the id may fetch the ciphertext (docs/attachments.md).
    "POST /v1/blobs": [{ path: "/v1/blobs", raw: new Uint8Array([1, 2, 3]), contentType: "application/octet-stream" }, authed(201)],
    "GET /v1/blobs/:blobId": [{ path: `/v1/blobs/${blob}` }, authed(200)],
    "PUT /v1/profile/picture": [{ path: "/v1/profile/picture", raw: new Uint8Array([1, 2, 3]), contentType: "image/png" }, authed(415)],
    "GET /v1/requests": [{ path: "/v1/requests" }, authed(200)],
    "POST /v1/requests/:accountId/accept": [{ path: `/v1/requests/${owner.accountId}/accept`, json: {} }, authed(200)],
    "POST /v1/requests/:accountId/decline": [{ path: `/v1/requests/${owner.accountId}/decline`, json: {} }, authed(404)],
    "GET /v1/contacts": [{ path: "/v1/contacts" }, authed(200)],
    "GET /v1/blocks": [{ path: "/v1/blocks" }, authed(200)],
    "POST /v1/blocks": [{ path: "/v1/blocks", json: { accountId: owner.accountId } }, authed(200, { ownOther: 400 })],
    "DELETE /v1/blocks/:accountId": [{ path: `/v1/blocks/${owner.accountId}` }, authed(200)],
    "GET /v1/safety/settings": [{ path: "/v1/safety/settings" }, authed(200)],
    "PUT /v1/safety/settings": [{ path: "/v1/safety/settings", json: { inbound: "contacts" } }, authed(200)],
    // Moderation: reports, evidence, accounts, the audit log and decisions are moderator-only.
    "GET /v1/mod/reports": [{ path: "/v1/mod/reports" }, moderatorOnly(200)],
    "GET /v1/mod/reports/:reportId": [{ path: "/v1/mod/reports/nosuchreport" }, moderatorOnly(404)],
    "POST /v1/mod/reports/:reportId/decision": [{ path: "/v1/mod/reports/nosuchreport/decision", json: { action: "dismiss" } }, moderatorOnly(404)],
    "GET /v1/mod/reports/:reportId/evidence": [{ path: "/v1/mod/reports/nosuchreport/evidence" }, moderatorOnly(200)],
    "GET /v1/mod/evidence/:evidenceId/content": [{ path: "/v1/mod/evidence/nosuchevidence/content" }, moderatorOnly(404)],
    "GET /v1/mod/accounts/:accountId": [{ path: `/v1/mod/accounts/${owner.accountId}` }, moderatorOnly(200)],
    "POST /v1/mod/accounts/:accountId/restrictions/lift": [{ path: `/v1/mod/accounts/${owner.accountId}/restrictions/lift`, json: {} }, moderatorOnly(200)],
    "GET /v1/mod/audit": [{ path: "/v1/mod/audit" }, moderatorOnly(200)],
    "GET /v1/mod/safety/actions": [{ path: "/v1/mod/safety/actions" }, moderatorOnly(200)],
    "GET /v1/mod/detections": [{ path: "/v1/mod/detections" }, moderatorOnly(200)],
    // Known-image administration is admin-only; the digest is public.
    "GET /v1/admin/hash-lists": [{ path: "/v1/admin/hash-lists" }, adminOnly(200)],
    "POST /v1/admin/hash-lists": [{ path: "/v1/admin/hash-lists", json: { ...csv, threshold: 31 } }, adminOnly(201)],
    "PUT /v1/admin/hash-lists/:listId": [{ path: "/v1/admin/hash-lists/nosuchlist", json: csv }, adminOnly(404)],
    "POST /v1/admin/hash-lists/:listId/retire": [{ path: `/v1/admin/hash-lists/nosuchlist/retire`, json: {} }, adminOnly(404)],
    "GET /v1/admin/transparency": [{ path: "/v1/admin/transparency" }, adminOnly(200)],
    "GET /v1/hash-lists/digest": [{ path: "/v1/hash-lists/digest" }, all(200)],
  };
}

beforeAll(async () => {
  server = await startTestServer();
  const url = server.url;
  const [owner, stranger, moderator, admin, bad, late] = (await Promise.all([0, 1, 2, 3, 4, 5].map(() => register(url)))) as Device[];
  const ownOther = await linkDevice(url, owner!);
  const [revoked, spare] = [await linkDevice(url, owner!), await linkDevice(url, owner!)];
  expect((await call(url, "DELETE", `/v1/devices/${revoked.deviceId}`, { token: owner!.token })).status).toBe(200);
  const target = storageTarget(server.dataDir);
  expect(await setAccountRole(target, moderator!.name, "moderator")).toBe(true);
  expect(await setAccountRole(target, admin!.name, "admin")).toBe(true);
  // The real ban (storage/moderation.ts decide): it ends every session of the account.
  const storage = await openStorage(resolveConfig(target));
  await storage.moderation.decide({ decisionId: "matrix-ban", subjectAccountId: bad!.accountId, moderatorAccountId: moderator!.accountId, action: "ban", note: "", createdAt: Date.now() });
  await storage.close();
  // Age one session past its expiry (SQLite keeps ms, PostgreSQL a timestamptz).
  const expire = testBackend === "postgres" ? "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE device_id = ?" : `UPDATE sessions SET expires_at = ${Date.now() - 1} WHERE device_id = ?`;
  await queryTestStore(server.dataDir, expire, [late!.deviceId]);
  const { groupId } = await newGroup(url, owner!);
  const blob = await call(url, "POST", "/v1/blobs", { token: owner!.token, raw: new Uint8Array([9, 9, 9]), contentType: "application/octet-stream" });
  const kps = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(() => keyPackage(owner!, owner!.keys)));
  expect((await call(url, "POST", "/v1/key-packages", { token: owner!.token, json: { keyPackages: kps.map((k) => k.b64) } })).status).toBe(200);
  ids = { group: b64(groupId), blob: blob.body.blobId, owner: owner!, spare };
  who = { anonymous: undefined, stranger, ownOther, revoked, banned: bad, moderator, admin, expired: late };
});
afterAll(async () => server?.stop());

describe("authorization matrix", () => {
  it("every route × every role gets its expected status", async () => {
    const rows = table();
    const missing = serverRoutes(server.app).map((r) => `${r.method} ${r.url}`).filter((k) => !(k in rows));
    expect(missing, "routes without a row in the matrix").toEqual([]);
    const failures: string[] = [];
    let cells = 0;
    for (const [route, [req, expected]] of Object.entries(rows)) {
      const method = route.split(" ")[0]!;
      for (const role of ROLES) {
        const res = await call(server.url, method, req.path, { ...(who[role] && { token: who[role]!.token }), ...(req.json !== undefined && { json: req.json }), ...(req.raw && { raw: req.raw, contentType: req.contentType }) });
        cells++;
        if (res.status !== expected[role]) failures.push(`${route} as ${role}: ${res.status} (expected ${expected[role]}) ${JSON.stringify(res.body).slice(0, 120)}`);
      }
    }
    console.log(`authorization matrix: ${cells} cells (${Object.keys(rows).length} routes × ${ROLES.length} roles) checked`);
    expect(failures).toEqual([]);
  });

  it("the banned account cannot log in again", async () => {
    const bad = who.banned!;
    const c = await challenge(server.url);
    const login = await call(server.url, "POST", "/v1/sessions", { json: { deviceId: bad.deviceId, challenge: c, signature: await proof(bad.keys.signKey, "login", c) } });
    expect(login.status).toBe(403);
    expect(login.body.error?.code).toBe("SL_ERR_ACCOUNT_BANNED");
  });

  it("the WebSocket needs a live session", async () => {
    const open = (token?: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${server.url.replace("http", "ws")}/v1/ws`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
        ws.once("open", () => (ws.close(), resolve(101)));
        ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      });
    const got = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await open(who[r]?.token)] as const)));
    expect(got).toEqual(authed(101));
  });
});
