/** Groups: creating conversations and changing who is in them with MLS commits (RFC 9420 §12.4), re-planned
 *  whenever another member's commit won the epoch. Includes adding this account's newly linked devices and
 *  taking out its removed ones. */
import {
  commitChanges,
  decodeGroupState,
  encodeGroupState,
  epochOf,
  fromB64,
  members,
  newGroup,
  newKeyPackage,
  toB64,
  type ConversationKind,
  type GroupState,
} from "@safelight/protocol";
import { SafelightError } from "../errors.js";
import type { StoredGroup } from "../store/types.js";
import type { SessionContext } from "./context.js";
import { rosterChanges } from "./deviceChanges.js";
import { claimKeyPackages } from "./keyPackages.js";
import { sendMeta } from "./messaging.js";
import { backoff, isStaleEpoch, MAX_EPOCH_RETRIES } from "./retry.js";

/** The direct conversation with PEERNAME, created on first use. */
export async function directConversation(ctx: SessionContext, peerName: string): Promise<StoredGroup> {
  const peer = await ctx.dir.byName(peerName);
  if (peer.accountId === ctx.requireProfile().accountId) {
    throw new SafelightError("SL_CLIENT_BAD_INPUT", "you cannot start a direct conversation with yourself");
  }
  return (await ctx.store.findDirect(peer.accountId)) ?? createConversation(ctx, "direct", "", [peer.accountId]);
}

/** A new group conversation with the named accounts; returns its id. */
export async function createGroup(ctx: SessionContext, title: string, memberNames: string[]): Promise<string> {
  const accounts = await Promise.all(memberNames.map((n) => ctx.dir.byName(n)));
  const me = ctx.requireProfile().accountId;
  const others = [...new Set(accounts.map((a) => a.accountId))].filter((id) => id !== me);
  return (await createConversation(ctx, "group", title, others)).groupId;
}

export async function addMember(ctx: SessionContext, groupId: string, name: string): Promise<void> {
  const account = await ctx.dir.byName(name);
  await changeMembers(ctx, groupId, async (state) => {
    const present = new Set(members(state).filter((m) => m.accountId === account.accountId).map((m) => m.deviceId));
    if (present.size > 0) throw new SafelightError("SL_CLIENT_BAD_INPUT", `${name} is already in this conversation`);
    return { add: await claimKeyPackages(ctx, account.accountId) };
  });
  await sendMeta(ctx, groupId);
}

export async function removeMember(ctx: SessionContext, groupId: string, name: string): Promise<void> {
  const account = await ctx.dir.byName(name);
  await changeMembers(ctx, groupId, async (state) => {
    const leaves = members(state)
      .filter((m) => m.accountId === account.accountId)
      .map((m) => m.leaf);
    if (leaves.length === 0) throw new SafelightError("SL_CLIENT_BAD_INPUT", `${name} is not in this conversation`);
    return { removeLeaves: leaves };
  });
}

/** A commit with only an update path: fresh keys for this device, for post-compromise security
 *  (RFC 9420 §12.4, §16.6). */
export async function updateKeys(ctx: SessionContext, groupId: string): Promise<void> {
  await changeMembers(ctx, groupId, async () => ({}));
}

/** Another device of this account was linked: add it to every conversation this device is in. False when
 *  some conversation could not take it yet (the new device has no KeyPackage on the server so far). */
export async function addLinkedDevice(ctx: SessionContext, deviceId: string): Promise<boolean> {
  const profile = ctx.requireProfile();
  if (deviceId === profile.deviceId) return true;
  let complete = true;
  const changed = await changeEveryGroup(ctx, async (state) => {
    if (members(state).some((m) => m.accountId === profile.accountId && m.deviceId === deviceId)) return undefined;
    const { keyPackages } = await ctx.authed((a) => a.claimKeyPackages(profile.accountId, profile.deviceId));
    const forDevice = keyPackages.filter((k) => k.deviceId === deviceId).map((k) => fromB64(k.keyPackage)!);
    if (forDevice.length === 0) {
      complete = false;
      return undefined;
    }
    return { add: forDevice };
  });
  for (const groupId of changed) await sendMeta(ctx, groupId);
  return complete;
}

/** The mirror of addLinkedDevice: a device of this account was removed, so its leaves leave every
 *  conversation this device is in (RFC 9420 §12.1.3) and it gets no keys for later epochs. Returns the
 *  conversations it was taken out of. */
export function removeOwnDevice(ctx: SessionContext, deviceId: string): Promise<string[]> {
  const { accountId } = ctx.requireProfile();
  return changeEveryGroup(ctx, async (state) => {
    const leaves = members(state).filter((m) => m.accountId === accountId && m.deviceId === deviceId).map((m) => m.leaf);
    return leaves.length === 0 ? undefined : { removeLeaves: leaves };
  });
}

/** One membership change planned in every conversation this device is in; returns those it committed in. */
async function changeEveryGroup(ctx: SessionContext, plan: Plan): Promise<string[]> {
  const changed: string[] = [];
  for (const group of await ctx.store.listGroups()) {
    if (group.active && (await changeMembers(ctx, group.groupId, plan))) changed.push(group.groupId);
  }
  return changed;
}

async function createConversation(ctx: SessionContext, kind: ConversationKind, title: string, otherAccounts: string[]): Promise<StoredGroup> {
  const profile = ctx.requireProfile();
  const engine = ctx.mls;
  let groupId: string;
  // Not starting with "-", so the CLI can take it as an argument (it would read as an option).
  do groupId = toB64(globalThis.crypto.getRandomValues(new Uint8Array(16)));
  while (groupId.startsWith("-"));
  const own = await newKeyPackage(engine, { accountId: profile.accountId, deviceId: profile.deviceId }, profile);
  const state = await newGroup(engine, fromB64(groupId)!, own);
  await ctx.authed((a) => a.createGroup(groupId));
  const add = [
    ...(await claimKeyPackages(ctx, profile.accountId, true)),
    ...(await Promise.all(otherAccounts.map((id) => claimKeyPackages(ctx, id)))).flat(),
  ];
  const group: StoredGroup = {
    groupId,
    kind,
    title,
    peerAccountId: kind === "direct" ? otherAccounts[0] : undefined,
    state: encodeGroupState(state),
    active: true,
    updatedAt: Date.now(),
  };
  await ctx.store.saveGroup(group);
  if (add.length > 0) await changeMembers(ctx, groupId, async () => ({ add }));
  await sendMeta(ctx, groupId);
  return (await ctx.store.getGroup(groupId))!;
}

/** What a membership change commits, planned from the group's current state; undefined: nothing to do. */
type Plan = (state: GroupState) => Promise<{ add?: Uint8Array[]; removeLeaves?: number[] } | undefined>;

/** Commits a membership change, re-planning it from the fresh state whenever another member's commit
 *  won the epoch (the server accepts exactly one commit per epoch). False when the plan had nothing to do. */
async function changeMembers(ctx: SessionContext, groupId: string, plan: Plan): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    const group = await ctx.requireGroup(groupId);
    const state = decodeGroupState(group.state);
    const changes = await plan(state);
    if (!changes) return false;
    const result = await commitChanges(ctx.mls, state, changes);
    try {
      await ctx.authed((a) => a.postCommit(groupId, toB64(result.commit), result.welcome ? toB64(result.welcome) : undefined));
    } catch (err) {
      if (isStaleEpoch(err) && attempt < MAX_EPOCH_RETRIES) {
        await backoff(attempt);
        await ctx.catchUp();
        continue;
      }
      throw err;
    }
    const updated = { ...group, state: encodeGroupState(result.state), updatedAt: Date.now() };
    await ctx.store.saveGroup(updated);
    // Our own commits' roster changes go in the timeline too (ids unique per group and epoch).
    const entries = rosterChanges(state, result.state, groupId, `commit-${groupId}-${epochOf(result.state)}`, Date.now());
    for (const entry of entries) await ctx.store.saveOutgoing(entry, updated);
    return true;
  }
}
