import { describe, expect, it } from "vitest";
import { call, register, useServer } from "./helpers.js";
import { testBackend } from "../src/testing.js";

const server = useServer({ limits: { rateBurst: 5, ratePerSecond: 0.001, anonBurst: 40, anonPerSecond: 0.001 } });

describe("limits and metadata", () => {
  it("rate-limits per account without affecting other accounts", async () => {
    const [a, b] = await Promise.all([register(server.url), register(server.url)]);
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await call(server.url, "GET", "/v1/queue", { token: a!.token })).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    const limited = await call(server.url, "GET", "/v1/queue", { token: a!.token });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("SL_ERR_RATE_LIMITED");
    expect((await call(server.url, "GET", "/v1/queue", { token: b!.token })).status).toBe(200);
  });

  it("accepts a bare POST for {}-bodied endpoints", async () => {
    const res = await fetch(`${server.url}/v1/auth/challenge`, { method: "POST" });
    expect(res.status).toBe(200);
  });

  it("serves health and an OpenAPI document covering every route", async () => {
    expect((await call(server.url, "GET", "/healthz")).body).toMatchObject({ status: "ok", database: { backend: testBackend, ok: true } });
    const doc = (await call(server.url, "GET", "/v1/openapi.json")).body;
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of [
      "/v1/auth/challenge",
      "/v1/accounts",
      "/v1/sessions",
      "/v1/link-codes",
      "/v1/devices",
      "/v1/accounts/by-name/{name}",
      "/v1/accounts/{accountId}",
      "/v1/key-packages",
      "/v1/key-packages/count",
      "/v1/key-packages/claim",
      "/v1/groups",
      "/v1/groups/{groupId}",
      "/v1/groups/{groupId}/commits",
      "/v1/groups/{groupId}/messages",
      "/v1/queue",
      "/v1/queue/ack",
      "/v1/blobs",
      "/v1/blobs/{blobId}",
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
  });
});
