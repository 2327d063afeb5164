import { decodeFrankingAad, type InspectedMessage } from "@safelight/protocol";
import { authenticateKeyPackage, authenticatePathLeaf, CIPHER_SUITE } from "./authService.js";
import type { ServerContext } from "./context.js";
import { toB64 } from "@safelight/protocol";
import { applicationMessageId, messageId } from "./crypto.js";
import { ApiError } from "./errors.js";
import { readMls } from "./mlsInput.js";
import type { DeviceRef, GroupRecord } from "./storage/types.js";

/** Group ids are 16–64 bytes (docs/protocol.md). */
export function checkGroupId(groupId: Uint8Array): Uint8Array {
  if (groupId.length < 16 || groupId.length > 64) throw new ApiError("SL_ERR_BAD_REQUEST", "groupId must be 16–64 bytes");
  return groupId;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The clear header must name this group (RFC 9420 §6.2, §6.3.1) and an epoch we can represent. */
function epochFor(info: InspectedMessage, groupId: Uint8Array): number {
  // SL-V011 (RFC 9420 §6.2, §6.3.1): the message's clear group_id is the group of the route
  if (!sameBytes(info.groupId, groupId)) throw new ApiError("SL_ERR_BAD_MLS", "message group_id does not match the URL");
  const epoch = info.epoch ?? -1n;
  // SL-V012 (RFC 9420 §6): the uint64 epoch fits a JavaScript number exactly before the stale-epoch check compares it
  if (epoch < 0n || epoch > BigInt(Number.MAX_SAFE_INTEGER)) throw new ApiError("SL_ERR_BAD_MLS", "epoch out of range");
  return Number(epoch);
}

/**
 * 404 for an unknown group, 403 for a non-member, before the body is looked at. The storage
 * transaction checks both again; this only gives callers the most useful error first.
 */
export async function requireMember(ctx: ServerContext, groupId: Uint8Array, device: DeviceRef): Promise<GroupRecord> {
  const group = await ctx.storage.getGroup(groupId);
  if (group === undefined) throw new ApiError("SL_ERR_NOT_FOUND", "no such group");
  // SL-V003 (RFC 9420 §12.4): only a member of the group may send to it or read it
  if (!group.members.some((m) => m.deviceId === device.deviceId)) {
    throw new ApiError("SL_ERR_FORBIDDEN", "not a member of this group");
  }
  return group;
}

/** POST …/messages and the WebSocket `send` frame: an application PrivateMessage for the group. */
export async function acceptApplication(
  ctx: ServerContext,
  sender: DeviceRef,
  groupId: Uint8Array,
  messageB64: string,
): Promise<{ id: string; acceptedRequestFrom?: string }> {
  await requireMember(ctx, groupId, sender);
  // One device flooding one group (limits.groupSend*), on top of the account's general bucket.
  if (!(await ctx.rateLimits.groupSend.take(`${toB64(groupId)}/${sender.deviceId}`))) throw new ApiError("SL_ERR_RATE_LIMITED", "too many messages into this group");
  const { bytes, info } = readMls(messageB64, "message", "private_message");
  // SL-V013 (RFC 9420 §6): the messages field carries application content
  if (info.contentType !== "application") throw new ApiError("SL_ERR_BAD_MLS", "message must carry application content");
  const epoch = epochFor(info, groupId);
  // SL-V014 (docs/franking.md, RFC 9420 §6.3): every application message carries a franking tag in authenticated_data
  const tag = info.authenticatedData && decodeFrankingAad(info.authenticatedData);
  if (!tag) throw new ApiError("SL_ERR_BAD_MLS", "application messages must carry a franking tag in authenticated_data");
  // Nothing is queued for accounts that blocked the sender or declined its request; pending requests are marked (docs/safety.md).
  // Read before the franking reservation, so the stamp and the storage write stay in one event-loop turn.
  const acceptedRequestFrom = await ctx.safety.acceptByReply(sender.accountId, groupId);
  const withheldFrom = await ctx.safety.withheldFor(sender.accountId, groupId);
  const now = Date.now();
  const id = applicationMessageId(groupId, bytes);
  const ticket = await ctx.franking.reserve(tag, {
    senderAccountId: sender.accountId,
    groupId: toB64(groupId),
    acceptedAt: now,
    messageId: id,
  });
  const deliveries = await ctx.storage.appendApplication({ groupId, epoch, sender, message: bytes, id, now, frank: ticket.settle, withheldFrom });
  ctx.notifier.publish(await ctx.safety.markRequests(groupId, deliveries));
  return acceptedRequestFrom === undefined ? { id } : { id, acceptedRequestFrom };
}

/**
 * POST …/commits. Handshake messages are PublicMessages (RFC 9420 §6.2, RFC 9750 §5.1) so the
 * server can read the proposals and track membership; everything is checked again in the
 * storage transaction that applies it.
 */
export async function acceptCommit(
  ctx: ServerContext,
  sender: DeviceRef,
  groupId: Uint8Array,
  commitB64: string,
  welcomeB64: string | undefined,
): Promise<{ id: string; epoch: number }> {
  const group = await requireMember(ctx, groupId, sender);
  const { bytes, info } = readMls(commitB64, "commit", "public_message");
  // SL-V013 (RFC 9420 §6): the commit field carries commit content
  if (info.contentType !== "commit") throw new ApiError("SL_ERR_BAD_MLS", "commit must carry commit content");
  const epoch = epochFor(info, groupId);
  // SL-V015 (RFC 9420 §12.4, §12.4.3.2): a member commits; external commits (new_member_commit) are not accepted
  if (info.sender?.type !== "member") throw new ApiError("SL_ERR_BAD_COMMIT", "commit sender must be a member");
  const removes: number[] = [];
  const adds: DeviceRef[] = [];
  for (const p of info.proposals) {
    // SL-V016 (RFC 9420 §12.4): proposals by value only, so the server sees every add and remove it applies
    if (p.type === "reference") throw new ApiError("SL_ERR_BAD_COMMIT", "proposals must be sent by value");
    // SL-V023 (RFC 9420 §12.2, §12.1.5): only Add and Remove. An Update by value is the committer's own, which
    // §12.2 forbids; ExternalInit belongs to external commits; PSK, ReInit, GroupContextExtensions and custom
    // proposals are unused by Safelight and change the group in ways the server could not follow.
    if (p.type === "update" || p.type === "other") {
      throw new ApiError("SL_ERR_BAD_COMMIT", `a commit carries only add and remove proposals, not ${p.type === "update" ? "update" : `proposal type ${p.proposalType}`}`);
    }
    // Authentication service for new members (RFC 9420 §5.3.1, docs/protocol.md).
    if (p.type === "add") adds.push(await authenticateKeyPackage(ctx.storage, p.keyPackage));
    if (p.type === "remove") removes.push(p.leafIndex);
  }
  if (info.pathLeaf !== undefined) await authenticatePathLeaf(ctx.storage, info.pathLeaf, sender);
  // SL-V017 (RFC 9420 §12.2): no two Remove proposals for the same leaf
  if (new Set(removes).size !== removes.length) throw new ApiError("SL_ERR_BAD_COMMIT", "a leaf is removed twice");
  // Contact rules on who adds whom (docs/safety.md); welcomes to accounts that refused the committer are withheld.
  const withheld = await ctx.safety.beforeCommit(sender, groupId, group.members, adds);
  let welcome: Uint8Array | undefined;
  if (welcomeB64 !== undefined) {
    const w = readMls(welcomeB64, "welcome", "welcome");
    // SL-V018 (RFC 9420 §12.4.3.1): the welcome uses the group's cipher suite
    if (w.info.welcome?.cipherSuite !== CIPHER_SUITE) throw new ApiError("SL_ERR_BAD_MLS", "welcome has the wrong cipher suite");
    welcome = w.bytes;
  }
  const now = Date.now();
  const commitId = messageId(now);
  const result = await ctx.storage.appendCommit({
    groupId,
    epoch,
    sender,
    senderLeaf: info.sender.leafIndex,
    removes,
    adds,
    commit: bytes,
    welcome,
    commitId,
    welcomeId: messageId(now),
    now,
    welcomeWithheldFrom: withheld,
  });
  ctx.notifier.publish(await ctx.safety.markRequests(groupId, result.deliveries));
  return { id: commitId, epoch: result.epoch };
}
