/**
 * Fuzzing every HTTP route and the WebSocket of the real server (docs/reliability.md). Routes come from
 * Fastify (test/routes.ts), so a new route is fuzzed without touching this file. Each request gets generated
 * or mutated params, query and body, with no token, a forged one or a real session. Properties: never a
 * 5xx, every error is `{ error: { code: SL_ERR_*, message } }` with a documented code, a refused request
 * changes no stored row, and the server still answers /health. Runs on SQLite only: what is fuzzed here is
 * the HTTP edge, which both backends share (the storage contract tests cover the backends).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import WebSocket from "ws";
import { fuzzParams, fuzzRuns, mutated } from "../../../../tools/fuzz/budget.js";
import { ERROR_CODES } from "../../src/errors.js";
import { queryTestStore } from "../../src/testing.js";
import { b64, keyPackage, newGroup, register, startTestServer, type Device, type TestServer } from "../helpers.js";
import { serverRoutes, type Route } from "../routes.js";

let server: TestServer;
let alice: Device;
let realIds: string[];
let realBodies: Uint8Array[];
let tables: string[];

beforeAll(async () => {
  // Limits high enough that the fuzz measures the routes, not the rate limiter (429 is accepted anyway).
  server = await startTestServer({ limits: { rateBurst: 1_000_000, ratePerSecond: 1_000_000, anonBurst: 1_000_000, anonPerSecond: 1_000_000 } });
  alice = await register(server.url);
  const { groupId } = await newGroup(server.url, alice);
  const kp = await keyPackage(alice, alice.keys);
  realIds = [alice.accountId, alice.deviceId, b64(groupId), alice.name];
  const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  // Bodies of the right shape for several routes, for the mutations to start from.
  realBodies = [
    json({ keyPackages: [kp.b64] }),
    json({ groupId: b64(groupId) }),
    json({ name: "x", birthdate: "2000-01-31", signatureKey: b64(alice.keys.publicKey), challenge: "AA", signature: "AA" }),
    json({ commit: kp.b64, welcome: kp.b64 }),
    json({ reason: "spam", reported: { messageId: "m", groupId: b64(groupId), senderAccountId: alice.accountId, acceptedAt: 1, content: "AA", keyId: "k", serverFrank: "AA", signature: "AA", proof: { leafIndex: 0, treeSize: 1, inclusionPath: [] } } }),
    json({ ids: ["a", "b"], accountId: alice.accountId, action: "ban", threshold: 3, skipInvalid: true, csv: "hash\n00" }),
  ];
  tables = (await queryTestStore<{ name: string }>(server.dataDir, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")).map((t) => t.name);
});
afterAll(async () => server?.stop());

/** Row counts of every table. */
async function rowCounts(): Promise<Record<string, number>> {
  const sql = tables.map((t) => `SELECT '${t}' AS t, COUNT(*) AS n FROM "${t}"`).join(" UNION ALL ");
  return Object.fromEntries((await queryTestStore<{ t: string; n: number }>(server.dataDir, sql)).map((r) => [r.t, r.n]));
}

interface Sent {
  status: number;
  body: unknown;
}

const token = () =>
  fc.oneof(
    fc.constant(undefined),
    fc.constant("real"),
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map(b64),
    fc.string({ maxLength: 60 }).filter((s) => /^[\x21-\x7e]*$/.test(s)),
  );
const param = () => fc.oneof(fc.constantFrom(...realIds), fc.string({ maxLength: 80 }), fc.uint8Array({ maxLength: 40 }).map(b64));
const body = () =>
  fc.oneof(
    fc.constant(undefined),
    fc.jsonValue().map((v) => ({ type: "application/json", bytes: new TextEncoder().encode(JSON.stringify(v)) })),
    mutated(realBodies).map((bytes) => ({ type: "application/json", bytes })),
    fc.record({ type: fc.constantFrom("application/json", "application/octet-stream", "image/png", "text/plain", "multipart/form-data"), bytes: fc.uint8Array({ maxLength: 300 }) }),
  );

async function send(route: Route, input: { token: string | undefined; params: string[]; query: Record<string, string>; body: { type: string; bytes: Uint8Array } | undefined }): Promise<Sent> {
  let i = 0;
  let path = route.url.replace(/:[A-Za-z]+|\*/g, () => encodeURIComponent(input.params[i++ % input.params.length] ?? ""));
  if (!path.startsWith("/")) path = `/${path}`;
  const query = new URLSearchParams(input.query).toString();
  const headers: Record<string, string> = {};
  if (input.token !== undefined) headers.authorization = `Bearer ${input.token === "real" ? alice.token : input.token}`;
  const hasBody = input.body !== undefined && route.method !== "GET";
  if (hasBody) headers["content-type"] = input.body!.type;
  const res = await fetch(`${server.url}${path}${query ? `?${query}` : ""}`, { method: route.method, headers, body: hasBody ? input.body!.bytes : undefined });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the property below says whether that was allowed
  }
  return { status: res.status, body: parsed };
}

function expectDocumentedError(sent: Sent, what: string): void {
  expect(sent.status, what).toBeLessThan(500);
  if (sent.status < 400) return;
  const error = (sent.body as { error?: { code?: unknown; message?: unknown } }).error;
  expect(Object.keys(ERROR_CODES), `${what}: ${JSON.stringify(sent.body)}`).toContain(error?.code);
  expect(ERROR_CODES[error!.code as keyof typeof ERROR_CODES], what).toBe(sent.status);
  expect(typeof error?.message, what).toBe("string");
}

describe("fuzz: every HTTP route of the real server", () => {
  const counted = { requests: 0, refused: 0 };

  it("enumerates the routes from Fastify", () => {
    const routes = serverRoutes(server.app);
    expect(routes.length).toBeGreaterThan(50);
    expect(routes).toContainEqual({ method: "POST", url: "/v1/groups/:groupId/commits" });
  });

  it("never a 5xx, only documented errors, nothing stored from a refused request", async () => {
    for (const route of serverRoutes(server.app)) {
      const what = `${route.method} ${route.url}`;
      await fc.assert(
        fc.asyncProperty(
          fc.record({ token: token(), params: fc.array(param(), { minLength: 1, maxLength: 3 }), query: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }), body: body() }),
          async (input) => {
            const mutating = route.method !== "GET";
            const before = mutating ? await rowCounts() : {};
            const sent = await send(route, input);
            counted.requests++;
            expectDocumentedError(sent, what);
            if (sent.status >= 400) {
              counted.refused++;
              if (mutating) expect(await rowCounts(), `${what} refused with ${sent.status} but changed stored rows`).toEqual(before);
            }
          },
        ),
        fuzzParams(0.1),
      );
    }
    console.log(`endpoint fuzz: ${counted.requests} requests over ${serverRoutes(server.app).length} routes, ${counted.refused} refused, 0 5xx`);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe("fuzz: WebSocket frames on an authenticated socket", () => {
  const frame = () =>
    fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      mutated([new TextEncoder().encode(JSON.stringify({ type: "send", reqId: "r1", groupId: realIds[2], message: "AAAA" })), new TextEncoder().encode(JSON.stringify({ type: "ack", ids: ["x"] }))]).map((b) => new TextDecoder().decode(b)),
      fc.string({ maxLength: 200 }),
    );

  it("answers every frame with a documented error or a reply, or closes; the server keeps serving", async () => {
    const socket = new WebSocket(`${server.url.replace("http", "ws")}/v1/ws`, { headers: { authorization: `Bearer ${alice.token}` } });
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    const replies: { type?: string; code?: string }[] = [];
    socket.on("message", (data) => replies.push(JSON.parse(data.toString()) as { type?: string; code?: string }));
    const frames = fc.sample(frame(), { numRuns: fuzzRuns(0.5), ...(fuzzParams().seed !== undefined && { seed: fuzzParams().seed }) });
    for (const f of frames) socket.send(f);
    // A ping round trip after the frames: the socket is still served once every frame was handled.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const r of replies) {
      if (r.type === "error") expect(Object.keys(ERROR_CODES)).toContain(r.code);
      expect(r.code).not.toBe("SL_ERR_INTERNAL");
    }
    console.log(`websocket fuzz: ${frames.length} frames, ${replies.length} replies, ${replies.filter((r) => r.type === "error").length} errors`);
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.send(Buffer.from([1, 2, 3]));
    const closed = await new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    expect(closed).toBe(1009);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
