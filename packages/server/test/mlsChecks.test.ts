/**
 * The delivery service's MLS checks SL-V010…SL-V023 (docs/validation.md), each provoked against the
 * real server with messages built by ts-mls. Where ts-mls refuses to build a bad message, a real one
 * is decoded, changed and encoded again with ts-mls's own codec.
 */
import { describe, expect, it } from "vitest";
import {
  createApplicationMessage,
  createCommit,
  createGroup,
  createGroupInfoWithExternalPub,
  createProposal,
  decode,
  defaultProposalTypes,
  encode,
  generateKeyPackageWithKey,
  getCiphersuiteImpl,
  joinGroupExternal,
  leafNodeSources,
  defaultCredentialTypes,
  mlsMessageDecoder,
  mlsMessageEncoder,
  nodeTypes,
  protocolVersions,
  wireformats,
  proposalOrRefTypes,
  type ClientState,
  type KeyPackage,
  type MlsMessage,
  type Proposal,
  type PublicMessage,
} from "ts-mls";
import { MAX_MLS_BYTES } from "@safelight/protocol";
import {
  addProposal,
  appMessage,
  b64,
  call,
  commit,
  keyPackage,
  mlsContext,
  newGroup,
  register,
  removeProposal,
  startTestServer,
  unb64,
  useServer,
  type Device,
} from "./helpers.js";

const server = useServer();

const post = (groupId: Uint8Array, token: string, json: unknown) =>
  call(server.url, "POST", `/v1/groups/${b64(groupId)}/commits`, { token, json });
const send = (groupId: Uint8Array, token: string, message: string) =>
  call(server.url, "POST", `/v1/groups/${b64(groupId)}/messages`, { token, json: { message } });

function expectRefused(res: { status: number; body: any }, status: number, code: string, message: RegExp) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(res.body.error.message).toMatch(message);
}

/** A group of alice and bob on the server, with alice's local state at epoch 1. */
async function aliceAndBob(): Promise<{ alice: Device; bob: Device; groupId: Uint8Array; state: ClientState }> {
  const [alice, bob] = (await Promise.all([register(server.url), register(server.url)])) as [Device, Device];
  const g = await newGroup(server.url, alice);
  const add = await commit(g.state, [addProposal((await keyPackage(bob, bob.keys)).publicPackage)]);
  expect((await post(g.groupId, alice.token, { commit: add.commit, welcome: add.welcome })).status).toBe(200);
  return { alice, bob, groupId: g.groupId, state: add.newState };
}

/** Suite 2 (P-256): a cipher suite ts-mls runs and Safelight does not. */
const otherSuite = () => getCiphersuiteImpl("MLS_128_DHKEMP256_AES128GCM_SHA256_P256");

async function otherSuiteKeyPackage(d: Device) {
  const cs = await otherSuite();
  return generateKeyPackageWithKey({
    credential: { credentialType: defaultCredentialTypes.basic, identity: new TextEncoder().encode(`${d.accountId}.${d.deviceId}`) },
    signatureKeyPair: await cs.signature.keygen(),
    cipherSuite: cs,
  });
}

/** Decodes a base64url PublicMessage commit with ts-mls, lets `change` edit it, and encodes it again. */
function rewrite(commitB64: string, change: (pm: PublicMessage) => PublicMessage): string {
  const msg = decode(mlsMessageDecoder, unb64(commitB64));
  if (msg?.wireformat !== wireformats.mls_public_message) throw new Error("not a PublicMessage");
  return b64(encode(mlsMessageEncoder, { ...msg, publicMessage: change(msg.publicMessage) }));
}

/** The commit's proposal list, for rewrites of it. */
function proposalsOf(pm: PublicMessage) {
  if (!("commit" in pm.content)) throw new Error("not a commit");
  return pm.content.commit.proposals;
}

function withProposals(pm: PublicMessage, proposals: ReturnType<typeof proposalsOf>): PublicMessage {
  if (!("commit" in pm.content)) throw new Error("not a commit");
  return { ...pm, content: { ...pm.content, commit: { ...pm.content.commit, proposals } } };
}

/** The commit with its single add proposal's KeyPackage replaced. */
function withKeyPackage(commitB64: string, keyPackage: KeyPackage): string {
  return rewrite(commitB64, (pm) => {
    const [add] = proposalsOf(pm);
    if (add?.proposalOrRefType !== proposalOrRefTypes.proposal || !("add" in add.proposal)) throw new Error("expected an add by value");
    return withProposals(pm, [{ ...add, proposal: { ...add.proposal, add: { keyPackage } } }]);
  });
}

/** The commit with its single remove proposal pointed at `leaf`. */
function withRemoved(commitB64: string, leaf: number): string {
  return rewrite(commitB64, (pm) => {
    const [remove] = proposalsOf(pm);
    if (remove?.proposalOrRefType !== proposalOrRefTypes.proposal || !("remove" in remove.proposal)) throw new Error("expected a remove by value");
    return withProposals(pm, [{ ...remove, proposal: { ...remove.proposal, remove: { removed: leaf } } }]);
  });
}

describe("MLS checks on the real server", () => {
  it("SL-V010 refuses an MLS message over MAX_MLS_BYTES before decoding it, even when the JSON limit lets it through", async () => {
    const roomy = await startTestServer({ limits: { maxJsonBytes: 4 * MAX_MLS_BYTES } });
    try {
      const alice = await register(roomy.url);
      const g = await newGroup(roomy.url, alice);
      const real = unb64((await commit(g.state, [])).commit);
      const padded = new Uint8Array(MAX_MLS_BYTES + 1);
      padded.set(real);
      const res = await call(roomy.url, "POST", `/v1/groups/${b64(g.groupId)}/commits`, { token: alice.token, json: { commit: b64(padded) } });
      expectRefused(res, 413, "SL_ERR_TOO_LARGE", /too large/);
      // The same commit at its own size is accepted: the size alone was refused.
      expect((await call(roomy.url, "POST", `/v1/groups/${b64(g.groupId)}/commits`, { token: alice.token, json: { commit: b64(real) } })).status).toBe(200);
    } finally {
      await roomy.stop();
    }
  });

  it("SL-V011 refuses a commit or application message whose group_id is another group's", async () => {
    const a = await aliceAndBob();
    const other = await newGroup(server.url, a.alice);
    // Real messages of group `a`, posted to `other`, where alice is a member too.
    expectRefused(await post(other.groupId, a.alice.token, { commit: (await commit(a.state, [])).commit }), 400, "SL_ERR_BAD_MLS", /group_id/);
    expectRefused(await send(other.groupId, a.alice.token, (await appMessage(a.state, "hi")).message), 400, "SL_ERR_BAD_MLS", /group_id/);
  });

  it("SL-V012 refuses an epoch the server cannot represent exactly", async () => {
    const a = await aliceAndBob();
    const real = (await commit(a.state, [])).commit;
    const far = rewrite(real, (pm) => ({ ...pm, content: { ...pm.content, epoch: 2n ** 60n } }));
    expectRefused(await post(a.groupId, a.alice.token, { commit: far }), 400, "SL_ERR_BAD_MLS", /epoch out of range/);
    expect((await post(a.groupId, a.alice.token, { commit: real })).status).toBe(200);
  });

  it("SL-V013 refuses a proposal in the commit field and an encrypted commit in the messages field", async () => {
    const a = await aliceAndBob();
    const ctx = await mlsContext();
    const proposal = await createProposal({ context: ctx, state: a.state, wireAsPublicMessage: true, proposal: removeProposal(1) });
    const proposalB64 = b64(encode(mlsMessageEncoder, proposal.message));
    expectRefused(await post(a.groupId, a.alice.token, { commit: proposalB64 }), 400, "SL_ERR_BAD_MLS", /commit content/);
    const privateCommit = await createCommit({ context: ctx, state: a.state, wireAsPublicMessage: false });
    expectRefused(await send(a.groupId, a.alice.token, b64(encode(mlsMessageEncoder, privateCommit.commit))), 400, "SL_ERR_BAD_MLS", /application content/);
  });

  it("SL-V014 refuses an application message without a franking tag in authenticated_data", async () => {
    const a = await aliceAndBob();
    const bare = await createApplicationMessage({ context: await mlsContext(), state: a.state, message: new TextEncoder().encode("unfranked") });
    expectRefused(await send(a.groupId, a.alice.token, b64(encode(mlsMessageEncoder, bare.message))), 400, "SL_ERR_BAD_MLS", /franking tag/);
    const bobQueue = await call(server.url, "GET", "/v1/queue", { token: a.bob.token });
    expect(bobQueue.body.items.map((i: { kind: string }) => i.kind)).toEqual(["welcome"]);
  });

  it("SL-V015 refuses an external commit (sender new_member_commit), even posted by a member", async () => {
    const a = await aliceAndBob();
    const carol = await register(server.url);
    const ctx = await mlsContext();
    const groupInfo = await createGroupInfoWithExternalPub(a.state, [], ctx.cipherSuite);
    const kp = await keyPackage(carol, carol.keys);
    const external = await joinGroupExternal({
      context: ctx,
      groupInfo,
      tree: a.state.ratchetTree,
      keyPackage: kp.publicPackage,
      privateKeys: kp.privatePackage,
      resync: false,
    });
    const msg: MlsMessage = { wireformat: wireformats.mls_public_message, version: protocolVersions.mls10, publicMessage: external.publicMessage };
    expectRefused(await post(a.groupId, a.alice.token, { commit: b64(encode(mlsMessageEncoder, msg)) }), 400, "SL_ERR_BAD_COMMIT", /sender must be a member/);
  });

  it("SL-V016 refuses a commit that carries a proposal by reference", async () => {
    const a = await aliceAndBob();
    const ctx = await mlsContext();
    const proposed = await createProposal({ context: ctx, state: a.state, wireAsPublicMessage: true, proposal: removeProposal(1) });
    const byRef = await createCommit({ context: ctx, state: proposed.newState, wireAsPublicMessage: true });
    expectRefused(await post(a.groupId, a.alice.token, { commit: b64(encode(mlsMessageEncoder, byRef.commit)) }), 400, "SL_ERR_BAD_COMMIT", /by value/);
    expect((await call(server.url, "GET", `/v1/groups/${b64(a.groupId)}`, { token: a.alice.token })).body.members).toHaveLength(2);
  });

  it("SL-V017 refuses a commit that removes the same leaf twice", async () => {
    const a = await aliceAndBob();
    const twice = rewrite((await commit(a.state, [removeProposal(1)])).commit, (pm) => {
      const [remove] = proposalsOf(pm);
      return withProposals(pm, [remove!, remove!]);
    });
    expectRefused(await post(a.groupId, a.alice.token, { commit: twice }), 400, "SL_ERR_BAD_COMMIT", /removed twice/);
  });

  it("SL-V018 refuses a welcome of another cipher suite than the group's", async () => {
    const a = await aliceAndBob();
    const carol = await register(server.url);
    const good = await commit(a.state, [addProposal((await keyPackage(carol, carol.keys)).publicPackage)]);
    // A real welcome of a P-256 group (suite 2), sent along the suite-1 group's real commit.
    const p256 = await otherSuite();
    const ctx2 = { ...(await mlsContext()), cipherSuite: p256 };
    const own = await otherSuiteKeyPackage(a.alice);
    const state2 = await createGroup({ context: ctx2, groupId: crypto.getRandomValues(new Uint8Array(32)), keyPackage: own.publicPackage, privateKeyPackage: own.privatePackage });
    const other = await createCommit({ context: ctx2, state: state2, wireAsPublicMessage: true, extraProposals: [addProposal((await otherSuiteKeyPackage(carol)).publicPackage)] });
    const wrongWelcome = b64(encode(mlsMessageEncoder, other.welcome!));
    expectRefused(await post(a.groupId, a.alice.token, { commit: good.commit, welcome: wrongWelcome }), 400, "SL_ERR_BAD_MLS", /cipher suite/);
    expect((await post(a.groupId, a.alice.token, { commit: good.commit, welcome: good.welcome })).status).toBe(200);
  });

  it("SL-V019 refuses a KeyPackage of another cipher suite, on upload and in an add", async () => {
    const a = await aliceAndBob();
    const carol = await register(server.url);
    // Carol's real credential; the cipher suite is refused before the key is looked at.
    const kp = await otherSuiteKeyPackage(carol);
    const upload = b64(encode(mlsMessageEncoder, { wireformat: wireformats.mls_key_package, version: protocolVersions.mls10, keyPackage: kp.publicPackage }));
    expectRefused(await call(server.url, "POST", "/v1/key-packages", { token: carol.token, json: { keyPackages: [upload] } }), 400, "SL_ERR_BAD_KEY_PACKAGE", /cipher suite/);
    const good = (await keyPackage(carol, carol.keys)).publicPackage;
    const swapped = withKeyPackage((await commit(a.state, [addProposal(good)])).commit, kp.publicPackage);
    expectRefused(await post(a.groupId, a.alice.token, { commit: swapped }), 400, "SL_ERR_BAD_KEY_PACKAGE", /cipher suite/);
  });

  it("SL-V020 refuses a remove of a blank leaf", async () => {
    const a = await aliceAndBob();
    const blank = withRemoved((await commit(a.state, [removeProposal(1)])).commit, 5);
    expectRefused(await post(a.groupId, a.alice.token, { commit: blank }), 400, "SL_ERR_BAD_COMMIT", /blank leaf 5/);
  });

  it("SL-V021 refuses a commit that removes its committer", async () => {
    const a = await aliceAndBob();
    const self = withRemoved((await commit(a.state, [removeProposal(1)])).commit, 0);
    expectRefused(await post(a.groupId, a.alice.token, { commit: self }), 400, "SL_ERR_BAD_COMMIT", /remove its committer/);
  });

  it("SL-V022 refuses an add of a device already in the group", async () => {
    const a = await aliceAndBob();
    // ts-mls refuses to build it: a real add of carol, whose KeyPackage is swapped for a fresh one of bob's.
    const carol = await register(server.url);
    const bobAgain = (await keyPackage(a.bob, a.bob.keys)).publicPackage;
    const built = await commit(a.state, [addProposal((await keyPackage(carol, carol.keys)).publicPackage)]);
    const again = { ...built, commit: withKeyPackage(built.commit, bobAgain) };
    expectRefused(await post(a.groupId, a.alice.token, { commit: again.commit, welcome: again.welcome }), 400, "SL_ERR_BAD_COMMIT", /already a member/);
    expect((await call(server.url, "GET", `/v1/groups/${b64(a.groupId)}`, { token: a.alice.token })).body).toMatchObject({ epoch: 1 });
  });

  it("SL-V023 refuses a commit with a proposal other than add and remove (GroupContextExtensions, ReInit, an Update by value)", async () => {
    const a = await aliceAndBob();
    const ctx = await mlsContext();
    const gce: Proposal = { proposalType: defaultProposalTypes.group_context_extensions, groupContextExtensions: { extensions: [] } };
    const reinit: Proposal = {
      proposalType: defaultProposalTypes.reinit,
      reinit: { groupId: a.groupId, version: protocolVersions.mls10, cipherSuite: ctx.cipherSuite.id, extensions: [] },
    };
    for (const [proposal, refusal] of [
      [gce, /not proposal type 7/],
      [reinit, /not proposal type 5/],
    ] as const) {
      expectRefused(await post(a.groupId, a.alice.token, { commit: (await commit(a.state, [proposal])).commit }), 400, "SL_ERR_BAD_COMMIT", refusal);
    }
    // ts-mls builds no Update by value into a commit: a real remove commit whose proposal is swapped for an
    // Update carrying bob's leaf node from the tree, re-labelled as an update leaf (RFC 9420 §7.2: no lifetime).
    const bobLeaf = a.state.ratchetTree[2];
    if (bobLeaf?.nodeType !== nodeTypes.leaf) throw new Error("expected bob's leaf at tree index 2");
    const { lifetime: _lifetime, ...fields } = bobLeaf.leaf as typeof bobLeaf.leaf & { lifetime?: unknown };
    const leafNode = { ...fields, leafNodeSource: leafNodeSources.update };
    const update = { proposalType: defaultProposalTypes.update, update: { leafNode } } as Proposal;
    const withUpdate = rewrite((await commit(a.state, [removeProposal(1)])).commit, (pm) =>
      withProposals(pm, [{ proposalOrRefType: proposalOrRefTypes.proposal, proposal: update }]),
    );
    expectRefused(await post(a.groupId, a.alice.token, { commit: withUpdate }), 400, "SL_ERR_BAD_COMMIT", /not update/);
    expect((await call(server.url, "GET", `/v1/groups/${b64(a.groupId)}`, { token: a.alice.token })).body).toMatchObject({ epoch: 1 });
  });
});
