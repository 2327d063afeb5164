/** Messaging: encrypting application messages for a conversation and posting them (docs/architecture.md,
 *  Message flow), the text messages users send and the meta messages that carry a conversation's kind and
 *  title. Each carries its franking tag (docs/franking.md). */
import {
  decodeGroupState,
  encodeContent,
  encodeFrankingAad,
  encodeGroupState,
  encryptApplication,
  frankingTag,
  fromB64,
  newFrankingSalt,
  newMessageRef,
  toB64,
  type AppContent,
} from "@safelight/protocol";
import { SafelightError } from "../errors.js";
import type { StoredGroup } from "../store/types.js";
import { fetchWithheld, uploadFiles } from "./attachments.js";
import type { SessionContext } from "./context.js";
import { isStaleEpoch, MAX_EPOCH_RETRIES } from "./retry.js";
import type { OutgoingFile } from "./types.js";

/** Sends text (and files) to a conversation this device is in and stores it as outgoing; with `replyTo` (a
 *  message id from this conversation's history) it is a reply to that message. */
export async function sendInGroup(
  ctx: SessionContext,
  groupId: string,
  text: string,
  files: OutgoingFile[],
  replyTo?: string,
): Promise<{ id: string; conversation: string }> {
  const target = replyTo === undefined ? undefined : await targetRef(ctx, groupId, replyTo);
  const refs = await uploadFiles(ctx, files);
  const content = {
    v: 1,
    type: "text",
    salt: toB64(newFrankingSalt()),
    text,
    sentAt: Date.now(),
    id: newMessageRef(),
    ...(target ? { replyTo: target } : {}),
    ...(refs.length ? { files: refs } : {}),
  } satisfies AppContent;
  const { id, group, acceptedRequestFrom } = await encryptAndPost(ctx, groupId, content);
  const profile = ctx.requireProfile();
  await ctx.store.saveOutgoing(
    {
      id,
      groupId,
      senderAccountId: profile.accountId,
      senderDeviceId: profile.deviceId,
      text,
      sentAt: content.sentAt,
      receivedAt: content.sentAt,
      files: files.map((f) => ({ name: f.name, path: "", size: f.bytes.length, type: f.type })),
      outgoing: true,
      ref: content.id,
      ...(target ? { replyTo: target } : {}),
    },
    group,
  );
  // Replying accepted a message request: what it withheld can be downloaded now.
  if (acceptedRequestFrom !== undefined) await fetchWithheld(ctx, acceptedRequestFrom);
  return { id, conversation: groupId };
}

/** The content-level reference of the message `messageId` of this conversation: what a reply or reaction
 *  names (docs/protocol.md, Application content). */
export async function targetRef(ctx: SessionContext, groupId: string, messageId: string): Promise<string> {
  const message = await ctx.store.getMessage(messageId);
  if (!message || message.groupId !== groupId) {
    throw new SafelightError("SL_CLIENT_UNKNOWN_MESSAGE", `no message ${messageId} in this conversation`);
  }
  if (!message.ref) throw new SafelightError("SL_CLIENT_BAD_INPUT", "that message came from an older app and cannot be answered or reacted to");
  return message.ref;
}

/** Tells the members (new ones included) the conversation's kind and title. */
export async function sendMeta(ctx: SessionContext, groupId: string): Promise<void> {
  const group = await ctx.requireGroup(groupId);
  await encryptAndPost(ctx, groupId, {
    v: 1,
    type: "meta",
    salt: toB64(newFrankingSalt()),
    kind: group.kind,
    title: group.title,
    sentAt: Date.now(),
  });
}

/** Encrypts for the group's current epoch; if a commit got there first, processes it and retries.
 *  The franking tag over the exact content bytes rides in the authenticated data (docs/franking.md). */
export async function encryptAndPost(
  ctx: SessionContext,
  groupId: string,
  content: AppContent,
): Promise<{ id: string; group: StoredGroup; acceptedRequestFrom?: string }> {
  const bytes = encodeContent(content);
  const aad = encodeFrankingAad(frankingTag(fromB64(content.salt)!, bytes));
  for (let attempt = 0; ; attempt++) {
    const group = await ctx.requireGroup(groupId);
    const sent = await encryptApplication(ctx.mls, decodeGroupState(group.state), bytes, aad);
    const updated = { ...group, state: encodeGroupState(sent.state), updatedAt: Date.now() };
    // Save the advanced ratchet first: reusing a generation would reuse a nonce (RFC 9420 §9.1).
    await ctx.store.saveGroup(updated);
    try {
      const posted = await ctx.authed((a) => a.postMessage(groupId, toB64(sent.message)));
      return { ...posted, group: updated };
    } catch (err) {
      if (isStaleEpoch(err) && attempt < MAX_EPOCH_RETRIES) {
        await ctx.catchUp();
        continue;
      }
      throw err;
    }
  }
}
