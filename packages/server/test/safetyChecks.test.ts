/** Contact-rule checks SL-V109…SL-V110 (docs/validation.md) provoked against the real server. */
import { describe, expect, it } from "vitest";
import { call, register, useServer, type Device } from "./helpers.js";

const server = useServer();

async function uploadBlob(who: Device, bytes: Uint8Array): Promise<string> {
  const res = await fetch(`${server.url}/v1/blobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${who.token}`, "content-type": "application/octet-stream" },
    body: bytes,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { blobId: string }).blobId;
}

const download = (who: Device, blobId: string) => fetch(`${server.url}/v1/blobs/${blobId}`, { headers: { authorization: `Bearer ${who.token}` } });

describe("contact-rule checks on the real server", () => {
  it("SL-V109 withholds a pending request's attachment from its recipient until the request is accepted", async () => {
    const [alice, bob] = (await Promise.all([register(server.url), register(server.url)])) as [Device, Device];
    // Claiming bob's KeyPackages is how alice starts a conversation: it opens her request to bob.
    expect((await call(server.url, "POST", "/v1/key-packages/claim", { token: alice.token, json: { accountId: bob.accountId } })).status).toBe(200);
    const bytes = crypto.getRandomValues(new Uint8Array(1024));
    const blobId = await uploadBlob(alice, bytes);
    const pending = await download(bob, blobId);
    expect(pending.status).toBe(403);
    expect(((await pending.json()) as { error: { code: string } }).error.code).toBe("SL_ERR_REQUEST_PENDING");
    // The uploader and anyone the rule does not concern still download it.
    expect((await download(alice, blobId)).status).toBe(200);
    expect((await download(await register(server.url), blobId)).status).toBe(200);
    expect((await call(server.url, "POST", `/v1/requests/${alice.accountId}/accept`, { token: bob.token, json: {} })).status).toBe(200);
    const accepted = await download(bob, blobId);
    expect(accepted.status).toBe(200);
    expect(new Uint8Array(await accepted.arrayBuffer())).toEqual(bytes);
  });

  it("SL-V110 refuses a block of one's own account and records none", async () => {
    const alice = await register(server.url);
    const res = await call(server.url, "POST", "/v1/blocks", { token: alice.token, json: { accountId: alice.accountId } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "SL_ERR_BAD_REQUEST", message: "you cannot block yourself" });
    expect((await call(server.url, "GET", "/v1/blocks", { token: alice.token })).body.blocks).toEqual([]);
  });
});
