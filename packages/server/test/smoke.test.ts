import { describe, expect, it } from "vitest";
import { addProposal, appMessage, b64, call, commit, keyPackage, newGroup, register, useServer } from "./helpers.js";

const server = useServer();

describe("happy path", () => {
  it("register, key packages, group, commit with add, application message, queue + ack", async () => {
    const base = server.url;
    const alice = await register(base);
    const bob = await register(base);
    const kp = await keyPackage(bob, bob.keys);
    const up = await call(base, "POST", "/v1/key-packages", { token: bob.token, json: { keyPackages: [kp.b64] } });
    expect(up).toMatchObject({ status: 200, body: { stored: 1, available: 1 } });
    const claim = await call(base, "POST", "/v1/key-packages/claim", { token: alice.token, json: { accountId: bob.accountId } });
    expect(claim.status).toBe(200);
    expect(claim.body.keyPackages).toHaveLength(1);

    const g = await newGroup(base, alice);
    const c = await commit(g.state, [addProposal(kp.publicPackage)]);
    const res = await call(base, "POST", `/v1/groups/${b64(g.groupId)}/commits`, {
      token: alice.token,
      json: { commit: c.commit, welcome: c.welcome },
    });
    expect(res).toMatchObject({ status: 200, body: { epoch: 1 } });
    const info = await call(base, "GET", `/v1/groups/${b64(g.groupId)}`, { token: bob.token });
    expect(info.body.members).toEqual([
      { leaf: 0, accountId: alice.accountId, deviceId: alice.deviceId },
      { leaf: 1, accountId: bob.accountId, deviceId: bob.deviceId },
    ]);
    const m = await appMessage(c.newState, "hi");
    const sent = await call(base, "POST", `/v1/groups/${b64(g.groupId)}/messages`, { token: alice.token, json: { message: m.message } });
    expect(sent.status).toBe(200);
    const q = await call(base, "GET", "/v1/queue", { token: bob.token });
    expect(q.body.items.map((i: { kind: string }) => i.kind)).toEqual(["welcome", "application"]);
    const ack = await call(base, "POST", "/v1/queue/ack", { token: bob.token, json: { ids: q.body.items.map((i: { id: string }) => i.id) } });
    expect(ack.body).toEqual({ removed: 2 });
    const openapi = await call(base, "GET", "/v1/openapi.json");
    expect(openapi.body.openapi).toMatch(/^3\./);
  });
});
