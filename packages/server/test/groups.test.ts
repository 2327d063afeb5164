import { describe, expect, it } from "vitest";
import { createGroup, nodeTypes, type ClientState } from "ts-mls";
import {
  addProposal,
  appMessage,
  b64,
  call,
  commit,
  keyPackage,
  mlsContext,
  newGroup,
  newKeys,
  register,
  removeProposal,
  useServer,
  type Device,
} from "./helpers.js";

const server = useServer();

/** leaf → "<accountId>.<deviceId>" as the committer's own ratchet tree has it. */
function localLeaves(state: ClientState): { leaf: number; identity: string }[] {
  const out: { leaf: number; identity: string }[] = [];
  state.ratchetTree.forEach((node, i) => {
    if (node?.nodeType === nodeTypes.leaf && "identity" in node.leaf.credential) {
      out.push({ leaf: i / 2, identity: new TextDecoder().decode(node.leaf.credential.identity) });
    }
  });
  return out;
}

async function serverLeaves(groupId: Uint8Array, token: string) {
  const res = await call(server.url, "GET", `/v1/groups/${b64(groupId)}`, { token });
  expect(res.status).toBe(200);
  return {
    epoch: res.body.epoch as number,
    leaves: (res.body.members as { leaf: number; accountId: string; deviceId: string }[]).map((m) => ({
      leaf: m.leaf,
      identity: `${m.accountId}.${m.deviceId}`,
    })),
  };
}

const post = (groupId: Uint8Array, token: string, json: unknown) =>
  call(server.url, "POST", `/v1/groups/${b64(groupId)}/commits`, { token, json });

async function kpOf(d: Device) {
  return (await keyPackage(d, d.keys)).publicPackage;
}

/** Alice's group at epoch 1 with bob at leaf 1 (the accepted commit is `add`); carol stays outside. */
async function aliceAddsBob() {
  const [alice, bob, carol] = (await Promise.all([register(server.url), register(server.url), register(server.url)])) as [Device, Device, Device];
  const g = await newGroup(server.url, alice);
  const add = await commit(g.state, [addProposal(await kpOf(bob))]);
  expect((await post(g.groupId, alice.token, { commit: add.commit, welcome: add.welcome })).status).toBe(200);
  return { alice, bob, carol, g, add };
}

describe("groups and commits", () => {
  it("tracks membership across adds and removes exactly like the MLS tree (RFC 9420 §7.7, §7.8, §12.1.1)", async () => {
    const [alice, bob, carol, dave, erin, frank, gina] = await Promise.all(
      Array.from({ length: 7 }, () => register(server.url)),
    );
    const g = await newGroup(server.url, alice!);
    let state = g.state;
    const step = async (proposals: Parameters<typeof commit>[1], expectedLeaves: (Device | undefined)[]) => {
      const c = await commit(state, proposals);
      const res = await post(g.groupId, alice!.token, { commit: c.commit, welcome: c.welcome });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      state = c.newState;
      const remote = await serverLeaves(g.groupId, alice!.token);
      expect(remote.epoch).toBe(Number(state.groupContext.epoch));
      expect(remote.leaves).toEqual(localLeaves(state));
      const expected = expectedLeaves.flatMap((d, leaf) => (d ? [{ leaf, identity: `${d.accountId}.${d.deviceId}` }] : []));
      expect(remote.leaves).toEqual(expected);
    };
    await step([addProposal(await kpOf(bob!)), addProposal(await kpOf(carol!)), addProposal(await kpOf(dave!))], [alice, bob, carol, dave]);
    await step([removeProposal(2)], [alice, bob, undefined, dave]);
    // Leftmost blank leaf is reused.
    await step([addProposal(await kpOf(erin!))], [alice, bob, erin, dave]);
    // Removing the right edge truncates; the next add appends at the new edge.
    await step([removeProposal(3)], [alice, bob, erin]);
    await step([addProposal(await kpOf(frank!))], [alice, bob, erin, frank]);
    // Removes apply before adds within one commit (RFC 9420 §12.3).
    await step([removeProposal(1), addProposal(await kpOf(gina!))], [alice, gina, erin, frank]);

    // Removed members learn they are out: bob got the commit that removed him.
    const bobQueue = await call(server.url, "GET", "/v1/queue", { token: bob!.token });
    expect(bobQueue.body.items.map((i: { kind: string }) => i.kind)).toEqual(["welcome", ...Array(5).fill("commit")]);
    // …and is no longer a member.
    expect((await call(server.url, "GET", `/v1/groups/${b64(g.groupId)}`, { token: bob!.token })).status).toBe(403);
  });

  it("SL-V007 accepts exactly one of 20 concurrent commits against one epoch", async () => {
    const devices = await Promise.all(Array.from({ length: 20 }, () => register(server.url)));
    const alice = devices[0]!;
    const g = await newGroup(server.url, alice);
    // Put everyone in the group so each can race a commit from its own leaf.
    const kps = await Promise.all(devices.slice(1).map(kpOf));
    const c0 = await commit(g.state, kps.map(addProposal));
    expect((await post(g.groupId, alice.token, { commit: c0.commit, welcome: c0.welcome })).status).toBe(200);
    // Every device races a commit for epoch 1; the committer's state can create them all.
    const racers = await Promise.all(devices.map(() => commit(c0.newState, [])));
    const results = await Promise.all(racers.map((c) => post(g.groupId, alice.token, { commit: c.commit })));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(ok[0]!.body.epoch).toBe(2);
    for (const r of results.filter((r) => r.status !== 200)) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe("SL_ERR_STALE_EPOCH");
      expect(r.body.error.currentEpoch).toBe(2);
    }
    // Each other member got exactly one commit for epoch 1.
    const q = await call(server.url, "GET", "/v1/queue", { token: devices[5]!.token });
    expect(q.body.items.filter((i: { kind: string }) => i.kind === "commit")).toHaveLength(1);
  });

  it("SL-V003 SL-V004 enforces sender, welcome and remove rules", async () => {
    const [alice, bob, carol] = await Promise.all([register(server.url), register(server.url), register(server.url)]);
    const g = await newGroup(server.url, alice!);
    const add = await commit(g.state, [addProposal(await kpOf(bob!))]);
    const noWelcome = await post(g.groupId, alice!.token, { commit: add.commit });
    expect(noWelcome.status).toBe(400);
    expect(noWelcome.body.error.code).toBe("SL_ERR_BAD_COMMIT");
    // A non-member cannot commit, even with a well-formed commit.
    const outsider = await post(g.groupId, carol!.token, { commit: add.commit, welcome: add.welcome });
    expect(outsider.status).toBe(403);
    expect((await post(g.groupId, alice!.token, { commit: add.commit, welcome: add.welcome })).status).toBe(200);
    // Bob (leaf 1) posting alice's leaf-0 commit is refused.
    const spoof = await commit(add.newState, []);
    const wrongLeaf = await post(g.groupId, bob!.token, { commit: spoof.commit });
    expect(wrongLeaf.status).toBe(400);
    expect(wrongLeaf.body.error.code).toBe("SL_ERR_BAD_COMMIT");
    // Adding a key package whose credential is not a registered device key is refused.
    const fake = await keyPackage(carol!, await newKeys());
    const badAdd = await commit(add.newState, [addProposal(fake.publicPackage)]);
    const res = await post(g.groupId, alice!.token, { commit: badAdd.commit, welcome: badAdd.welcome });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("SL_ERR_BAD_KEY_PACKAGE");
    expect((await serverLeaves(g.groupId, alice!.token)).epoch).toBe(1);
    // Duplicate group id.
    const dup = await call(server.url, "POST", "/v1/groups", { token: bob!.token, json: { groupId: b64(g.groupId) } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe("SL_ERR_GROUP_EXISTS");
  });

  it("SL-V006 refuses an UpdatePath whose leaf names another device (RFC 9420 §5.3.1)", async () => {
    const [alice, bob] = await Promise.all([register(server.url), register(server.url)]);
    // Alice's local tree claims leaf 0 is bob (with alice's key); her commits carry that leaf.
    const groupId = crypto.getRandomValues(new Uint8Array(32));
    const lie = await keyPackage(bob!, alice!.keys);
    const state = await createGroup({ context: await mlsContext(), groupId, keyPackage: lie.publicPackage, privateKeyPackage: lie.privatePackage });
    await call(server.url, "POST", "/v1/groups", { token: alice!.token, json: { groupId: b64(groupId) } });
    const c = await commit(state, []);
    const res = await post(groupId, alice!.token, { commit: c.commit });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("SL_ERR_BAD_COMMIT");
  });

  it("delivers application messages to the other members at the current epoch only", async () => {
    const [alice, bob] = await Promise.all([register(server.url), register(server.url)]);
    const g = await newGroup(server.url, alice!);
    const add = await commit(g.state, [addProposal(await kpOf(bob!))]);
    await post(g.groupId, alice!.token, { commit: add.commit, welcome: add.welcome });
    const stale = await appMessage(g.state, "from epoch 0");
    const send = (token: string, message: string) =>
      call(server.url, "POST", `/v1/groups/${b64(g.groupId)}/messages`, { token, json: { message } });
    const r0 = await send(alice!.token, stale.message);
    expect(r0.status).toBe(409);
    expect(r0.body.error).toMatchObject({ code: "SL_ERR_STALE_EPOCH", currentEpoch: 1 });
    const m = await appMessage(add.newState, "hello");
    const r1 = await send(alice!.token, m.message);
    expect(r1.status).toBe(200);
    // A commit is not an application message.
    const asMsg = await send(alice!.token, (await commit(add.newState, [])).commit);
    expect(asMsg.status).toBe(400);
    const aliceQ = await call(server.url, "GET", "/v1/queue", { token: alice!.token });
    expect(aliceQ.body.items).toHaveLength(0);
    const bobQ = await call(server.url, "GET", "/v1/queue", { token: bob!.token });
    expect(bobQ.body.items.map((i: { kind: string }) => i.kind)).toEqual(["welcome", "application"]);
    expect(bobQ.body.items[1]).toMatchObject({ id: r1.body.id, groupId: b64(g.groupId), data: m.message, sender: { accountId: alice!.accountId, deviceId: alice!.deviceId } });
  });

  it("SL-V007 refuses a commit made in an epoch the group has left, and changes nothing (RFC 9420 §14)", async () => {
    const { alice, bob, carol, g, add } = await aliceAddsBob();
    // Made from alice's epoch-0 state, which the group has left.
    const late = await commit(g.state, [addProposal(await kpOf(carol))]);
    const res = await post(g.groupId, alice.token, { commit: late.commit, welcome: late.welcome });
    expect(res.status).toBe(409);
    expect(res.body.error).toEqual({ code: "SL_ERR_STALE_EPOCH", message: "epoch is stale; the group is at epoch 1", currentEpoch: 1 });
    expect(res.body.currentEpoch).toBe(1);
    expect(await serverLeaves(g.groupId, alice.token)).toEqual(await serverLeaves(g.groupId, bob.token));
    expect((await serverLeaves(g.groupId, alice.token)).leaves).toEqual(localLeaves(add.newState));
    expect((await call(server.url, "GET", "/v1/queue", { token: carol.token })).body.items).toEqual([]);
  });

  it("SL-V008 refuses a commit whose sender leaf is not the caller's (RFC 9420 §6.1)", async () => {
    const { alice, bob, carol, g, add } = await aliceAddsBob();
    // A well-formed commit from leaf 0 (alice), posted by bob (leaf 1). Adds only, so it carries no
    // UpdatePath and no leaf for SL-V006 to check: the sender field alone gives it away.
    const alices = await commit(add.newState, [addProposal(await kpOf(carol))]);
    const res = await post(g.groupId, bob.token, { commit: alices.commit, welcome: alices.welcome });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: "SL_ERR_BAD_COMMIT", message: "commit sender leaf is not the caller's leaf" });
    expect((await serverLeaves(g.groupId, alice.token)).leaves).toEqual(localLeaves(add.newState));
    for (const d of [alice, carol]) expect((await call(server.url, "GET", "/v1/queue", { token: d.token })).body.items).toEqual([]);
    // The same commit from its own sender is fine.
    expect((await post(g.groupId, alice.token, { commit: alices.commit, welcome: alices.welcome })).status).toBe(200);
  });

  it("SL-V009 refuses a commit that adds members without its Welcome (RFC 9420 §12.4.3.1)", async () => {
    const [alice, bob] = await Promise.all([register(server.url), register(server.url)]);
    const g = await newGroup(server.url, alice!);
    const add = await commit(g.state, [addProposal(await kpOf(bob!))]);
    const res = await post(g.groupId, alice!.token, { commit: add.commit });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: "SL_ERR_BAD_COMMIT", message: "a commit that adds members needs a welcome" });
    expect(await serverLeaves(g.groupId, alice!.token)).toEqual({ epoch: 0, leaves: localLeaves(g.state) });
    expect((await call(server.url, "GET", "/v1/queue", { token: bob!.token })).body.items).toEqual([]);
    // With its Welcome the same commit is accepted, and bob is welcomed.
    expect((await post(g.groupId, alice!.token, { commit: add.commit, welcome: add.welcome })).status).toBe(200);
    const bobQ = await call(server.url, "GET", "/v1/queue", { token: bob!.token });
    expect(bobQ.body.items.map((i: { kind: string }) => i.kind)).toEqual(["welcome"]);
  });
});
