import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendOptions, testBackend } from "../src/testing.js";
import { call, register, startTestServer, type Device, type TestServer } from "./helpers.js";

const LIMIT = 64 * 1024;
let server: TestServer;
let dev: Device;
beforeAll(async () => {
  server = await startTestServer({ limits: { maxBlobBytes: LIMIT } });
  dev = await register(server.url);
});
afterAll(async () => server.stop());

function upload(token: string, body: Uint8Array | ReadableStream<Uint8Array>) {
  return fetch(`${server.url}/v1/blobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
    body,
    ...(body instanceof ReadableStream && { duplex: "half" }),
  } as RequestInit);
}

/** The blobs whose bytes the server holds, and uploads not complete, on this run's backend. */
async function storedBlobs(s: TestServer): Promise<{ complete: string[]; incomplete: string[] }> {
  if (testBackend === "sqlite") {
    const names = readdirSync(join(s.dataDir, "blobs"));
    return { complete: names.filter((n) => !n.endsWith(".part")), incomplete: names.filter((n) => n.endsWith(".part")) };
  }
  const { databaseUrl, databaseSchema } = backendOptions(s.dataDir);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ blob_id: string; complete: boolean }>(`SELECT blob_id, complete FROM "${databaseSchema}".blob_contents`);
    return { complete: rows.filter((r) => r.complete).map((r) => r.blob_id), incomplete: rows.filter((r) => !r.complete).map((r) => r.blob_id) };
  } finally {
    await client.end();
  }
}

describe("blobs", () => {
  it("stores and returns the exact bytes to any authenticated device", async () => {
    const bytes = crypto.getRandomValues(new Uint8Array(LIMIT));
    const res = await upload(dev.token, bytes);
    expect(res.status).toBe(201);
    const body = (await res.json()) as { blobId: string; size: number; expiresAt: number };
    expect(body.size).toBe(LIMIT);
    expect(body.expiresAt).toBeGreaterThan(Date.now());
    const other = await register(server.url);
    const got = await fetch(`${server.url}/v1/blobs/${body.blobId}`, { headers: { authorization: `Bearer ${other.token}` } });
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);
    expect((await call(server.url, "GET", `/v1/blobs/${body.blobId}`)).status).toBe(401);
    const missing = await call(server.url, "GET", `/v1/blobs/${"A".repeat(22)}`, { token: dev.token });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("SL_ERR_NOT_FOUND");
  });

  it("refuses an upload over the limit (declared or streamed) and keeps no partial file", async () => {
    const before = (await storedBlobs(server)).complete.length;
    const big = await upload(dev.token, new Uint8Array(LIMIT + 1));
    expect(big.status).toBe(413);
    expect(((await big.json()) as any).error.code).toBe("SL_ERR_TOO_LARGE");
    // No Content-Length: the server must count while streaming.
    const chunk = new Uint8Array(16 * 1024);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > LIMIT * 4) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const streamed = await upload(dev.token, stream);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as any).error.code).toBe("SL_ERR_TOO_LARGE");
    await expect.poll(async () => (await storedBlobs(server)).incomplete).toEqual([]);
    expect((await storedBlobs(server)).complete.length).toBe(before);
    expect((await call(server.url, "GET", "/healthz")).status).toBe(200);
  });

  it("refuses unauthenticated uploads before reading them", async () => {
    const res = await upload("x", new Uint8Array(10));
    expect(res.status).toBe(401);
  });

  it("deletes blobs after the retention period", async () => {
    const short = await startTestServer({ blobRetentionMs: 100, sweepIntervalMs: 50 });
    try {
      const d = await register(short.url);
      const res = await fetch(`${short.url}/v1/blobs`, {
        method: "POST",
        headers: { authorization: `Bearer ${d.token}`, "content-type": "application/octet-stream" },
        body: Readable.toWeb(Readable.from([Buffer.from("hello")])) as ReadableStream,
        duplex: "half",
      } as RequestInit);
      const { blobId } = (await res.json()) as { blobId: string };
      const held = async () => (await storedBlobs(short)).complete.includes(blobId);
      expect(await held()).toBe(true);
      await expect.poll(held, { timeout: 3000 }).toBe(false);
      expect((await call(short.url, "GET", `/v1/blobs/${blobId}`, { token: d.token })).status).toBe(404);
    } finally {
      await short.stop();
    }
  });
});
