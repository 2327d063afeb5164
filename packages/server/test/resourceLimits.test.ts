/**
 * Resource limits (docs/server.md, Limits), each on a real server listening on loopback: registration
 * and link-code floods per address and per account, message floods into one group, the per-account
 * attachment quota, slow requests (slowloris), and 2,000 idle WebSockets held at once.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { toB64 } from "@safelight/protocol";
import type { LimitsConfig } from "../src/config.js";
import { appMessage, b64, call, challenge, newGroup, newKeys, proof, register, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});
/** A server with these limits; the refill rates are so slow that nothing refills during a test. */
async function serverWith(limits: Partial<LimitsConfig>): Promise<string> {
  server = await startTestServer({ limits });
  return server.url;
}

const statuses = async (n: number, fn: () => Promise<{ status: number; body: any }>) => {
  const out: (number | string)[] = [];
  for (let i = 0; i < n; i++) {
    const r = await fn();
    out.push(r.status < 400 ? r.status : `${r.status} ${r.body.error.code}`);
  }
  return out;
};

describe("floods", () => {
  it("limits registrations per address", async () => {
    const url = await serverWith({ registrationBurst: 3, registrationPerHour: 0.001 });
    for (let i = 0; i < 3; i++) await register(url);
    await expect(register(url)).rejects.toThrow(/429 .*SL_ERR_RATE_LIMITED/);
    // Other anonymous calls from the address still work: only registrations have run out.
    expect((await call(url, "POST", "/v1/auth/challenge", { json: {} })).status).toBe(200);
  });

  it("limits link codes made per account and redeemed per address", async () => {
    const url = await serverWith({ linkCodeBurst: 2, linkCodePerHour: 0.001 });
    const [a, b] = [await register(url), await register(url)];
    const make = (token: string) => () => call(url, "POST", "/v1/link-codes", { token, json: {} });
    expect(await statuses(3, make(a.token))).toEqual([200, 200, "429 SL_ERR_RATE_LIMITED"]);
    expect(await statuses(1, make(b.token))).toEqual([200]);
    // Guessing codes: each try is a redemption from this address, right or wrong.
    const keys = await newKeys();
    const guess = async () => {
      const c = await challenge(url);
      return call(url, "POST", "/v1/devices", { json: { code: "guess", signatureKey: toB64(keys.publicKey), challenge: c, signature: await proof(keys.signKey, "link", c) } });
    };
    expect(await statuses(3, guess)).toEqual(["400 SL_ERR_BAD_LINK_CODE", "400 SL_ERR_BAD_LINK_CODE", "429 SL_ERR_RATE_LIMITED"]);
  });

  it("limits one device's messages into one group, not its other groups", async () => {
    const url = await serverWith({ groupSendBurst: 4, groupSendPerSecond: 0.001 });
    const alice = await register(url);
    const [g1, g2] = [await newGroup(url, alice), await newGroup(url, alice)];
    const sender = (g: { groupId: Uint8Array; state: any }) => async () => {
      const m = await appMessage(g.state, "flood");
      g.state = m.newState;
      return call(url, "POST", `/v1/groups/${b64(g.groupId)}/messages`, { token: alice.token, json: { message: m.message } });
    };
    expect(await statuses(5, sender(g1))).toEqual([200, 200, 200, 200, "429 SL_ERR_RATE_LIMITED"]);
    expect(await statuses(1, sender(g2))).toEqual([200]);
  });
});

describe("attachment quota", () => {
  const upload = (url: string, token: string, body: Uint8Array | ReadableStream<Uint8Array>) =>
    fetch(`${url}/v1/blobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
      body,
      ...(body instanceof ReadableStream && { duplex: "half" }),
    } as RequestInit).then(async (r) => ({ status: r.status, body: await r.json() }));
  const chunked = (bytes: number) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes; i += 1000) c.enqueue(new Uint8Array(Math.min(1000, bytes - i)));
        c.close();
      },
    });

  it("refuses uploads past the account's quota, declared or streamed, and counts only that account", async () => {
    const url = await serverWith({ blobQuotaBytes: 10_000 });
    const [a, b] = [await register(url), await register(url)];
    expect((await upload(url, a.token, new Uint8Array(6000))).status).toBe(201);
    const over = await upload(url, a.token, new Uint8Array(6000));
    expect([over.status, over.body.error.code]).toEqual([403, "SL_ERR_QUOTA_EXCEEDED"]);
    // Without a length the upload streams until it passes what is left, then is refused.
    const streamed = await upload(url, a.token, chunked(5000));
    expect([streamed.status, streamed.body.error.code]).toEqual([403, "SL_ERR_QUOTA_EXCEEDED"]);
    expect((await upload(url, a.token, chunked(4000))).status).toBe(201);
    expect((await upload(url, b.token, new Uint8Array(9000))).status).toBe(201);
  });
});

/** Opens a raw connection, writes `head`, then one more byte per second; resolves with what the server
 *  sent and how long the connection lasted once the server closed it. */
function trickle(url: string, head: string, drip: string): Promise<{ answer: string; ms: number }> {
  const { port } = new URL(url);
  return new Promise((done, fail) => {
    const started = Date.now();
    const socket = net.connect(Number(port), "127.0.0.1", () => socket.write(head));
    let answer = "";
    let i = 0;
    const timer = setInterval(() => socket.write(drip[i++ % drip.length]!), 1000);
    const giveUp = setTimeout(() => fail(new Error(`not cut off after 20 s: ${answer}`)), 20_000);
    socket.on("data", (d) => (answer += d.toString()));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      done({ answer, ms: Date.now() - started });
    });
  });
}

describe("slow requests", () => {
  it("cuts off headers and bodies trickling at 1 byte/s, and keeps answering others", async () => {
    const url = await serverWith({ headersTimeoutMs: 1500, requestTimeoutMs: 3000 });
    const [headers, body] = await Promise.all([
      trickle(url, "GET /healthz HTTP/1.1\r\nHost: x\r\n", "X-Slow: aaaaaaaaaaaaaaaa"),
      trickle(url, "POST /v1/auth/challenge HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", " "),
      (async () => {
        const res = await call(url, "GET", "/healthz");
        expect(res.status).toBe(200);
      })(),
    ]);
    expect(headers.ms).toBeLessThan(5000);
    expect(headers.answer).toMatch(/^HTTP\/1\.1 408/);
    expect(body.ms).toBeLessThan(7000);
    expect(body.answer).toMatch(/^HTTP\/1\.1 408/);
    expect((await call(url, "GET", "/healthz")).status).toBe(200);
  });
});

describe("many sockets", () => {
  it("holds 2,000 idle WebSockets and still answers", { timeout: 120_000 }, async () => {
    const url = await serverWith({});
    const devices = await Promise.all(Array.from({ length: 20 }, () => register(url)));
    const ws = url.replace(/^http/, "ws");
    const sockets: WebSocket[] = [];
    try {
      for (let i = 0; i < 2000; i += 100) {
        const batch = Array.from({ length: 100 }, (_, k) => new WebSocket(`${ws}/v1/ws`, { headers: { authorization: `Bearer ${devices[(i + k) % 20]!.token}` } }));
        sockets.push(...batch);
        await Promise.all(batch.map((s) => new Promise((open, fail) => s.once("open", open).once("error", fail))));
      }
      expect(sockets.filter((s) => s.readyState === WebSocket.OPEN)).toHaveLength(2000);
      expect((await call(url, "GET", "/healthz")).status).toBe(200);
      expect((await call(url, "GET", "/v1/queue", { token: devices[0]!.token })).status).toBe(200);
      expect(sockets.filter((s) => s.readyState === WebSocket.OPEN)).toHaveLength(2000);
    } finally {
      for (const s of sockets) s.terminate();
    }
  });
});
