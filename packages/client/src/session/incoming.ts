/** Incoming MLS messages (RFC 9420 §12.4.2, §12.4.3.1, §15): joining from a Welcome, applying a commit, and
 *  decrypting and checking an application message before it is stored. Each throws on a message that
 *  fails its checks; the sync loop drops such items. */
import {
  decodeContent,
  decodeFrankingAad,
  decodeGroupState,
  decodePrivateKeyPackage,
  encodeGroupState,
  fromB64,
  joinFromWelcome,
  members,
  processIncoming,
  tagMatches,
  toB64,
  welcomeRecipients,
  type FrankContext,
} from "@safelight/protocol";
import type { QueueItem } from "../transport/api.js";
import type { StoredMessage } from "../store/types.js";
import { fetchFile } from "./attachments.js";
import type { SessionContext } from "./context.js";
import type { FrankVerifier } from "./frankVerifier.js";
import type { ReceivedMessage } from "./types.js";

/** Joins the group a Welcome for one of this device's KeyPackages opens (RFC 9420 §12.4.3.1). */
export async function applyWelcome(ctx: SessionContext, itemId: string, welcome: Uint8Array): Promise<void> {
  for (const ref of welcomeRecipients(welcome)) {
    const stored = await ctx.store.getKeyPackage(toB64(ref));
    if (!stored) continue;
    const state = await joinFromWelcome(ctx.mls, welcome, {
      keyPackage: stored.keyPackage,
      privateKeyPackage: decodePrivateKeyPackage(stored.privateKeyPackage),
    });
    const groupId = toB64(state.groupContext.groupId);
    await ctx.store.applyIncoming({
      itemId,
      group: { groupId, kind: "group", title: "", peerAccountId: undefined, state: encodeGroupState(state), active: true, updatedAt: Date.now() },
      consumedKeyPackageRef: stored.ref,
    });
    return;
  }
  throw new Error("welcome is not addressed to any KeyPackage of this device");
}

/** Applies another member's commit; a commit that removes this device leaves the group inactive (RFC 9420 §12.4.2). */
export async function applyCommit(ctx: SessionContext, itemId: string, groupId: string, bytes: Uint8Array): Promise<void> {
  const group = await ctx.store.getGroup(groupId);
  if (!group || !group.active) throw new Error("commit for a conversation this device is not in");
  const result = await processIncoming(ctx.mls, decodeGroupState(group.state), bytes);
  await ctx.store.applyIncoming({
    itemId,
    group: {
      ...group,
      state: encodeGroupState(result.state),
      active: !(result.kind === "commit" && result.removedSelf),
      updatedAt: Date.now(),
    },
  });
}

/** Decrypts an application message, checks its franking tag and the server's stamp, and stores it: a meta
 *  message updates the conversation, a text message becomes a ReceivedMessage. */
export async function applyApplication(
  ctx: SessionContext,
  franks: FrankVerifier,
  item: QueueItem,
  groupId: string,
  bytes: Uint8Array,
): Promise<ReceivedMessage | undefined> {
  const store = ctx.store;
  const group = await store.getGroup(groupId);
  if (!group || !group.active) throw new Error("message for a conversation this device is not in");
  const result = await processIncoming(ctx.mls, decodeGroupState(group.state), bytes);
  if (result.kind !== "application") throw new Error("expected an application message");
  const content = decodeContent(result.plaintext);
  const state = encodeGroupState(result.state);
  if (!content) throw new Error("undecodable application content");
  // A sender whose tag does not match the content could later deny or misattribute it: drop it.
  const tag = decodeFrankingAad(result.aad);
  if (!tag || !tagMatches(fromB64(content.salt)!, result.plaintext, tag)) throw new Error("franking tag mismatch");
  if (content.type === "meta") {
    const others = [...new Set(members(result.state).map((m) => m.accountId))].filter(
      (id) => id !== ctx.requireProfile().accountId,
    );
    await store.applyIncoming({
      itemId: item.id,
      group: {
        ...group,
        state,
        kind: content.kind,
        title: content.title,
        peerAccountId: content.kind === "direct" ? others[0] : undefined,
        updatedAt: Date.now(),
      },
    });
    return undefined;
  }
  if (content.type !== "text") {
    // Control kinds (receipts, typing, reactions) are not shown as messages.
    await store.applyIncoming({ itemId: item.id, group: { ...group, state, updatedAt: Date.now() } });
    return undefined;
  }
  if (!item.frank || !item.sender) throw new Error("application message without the server's franking stamp");
  const context: FrankContext = {
    senderAccountId: item.sender.accountId,
    groupId,
    acceptedAt: item.sentAt,
    messageId: item.id,
  };
  if (!(await franks.verifies(item.frank, context))) throw new Error("server franking signature does not verify");
  // The server's routing claim must agree with what MLS authenticated.
  if (result.sender.accountId !== item.sender.accountId) throw new Error("sender in the stamp is not the MLS sender");
  const files = await Promise.all((content.files ?? []).map((f) => fetchFile(ctx, item.id, f)));
  const message: StoredMessage = {
    id: item.id,
    groupId,
    senderAccountId: result.sender.accountId,
    senderDeviceId: result.sender.deviceId,
    text: content.text,
    // The server's acceptance time: what the franking stamp vouches for, unlike the sender's clock.
    sentAt: item.sentAt,
    receivedAt: Date.now(),
    files,
    outgoing: result.sender.accountId === ctx.requireProfile().accountId,
    content: result.plaintext,
    frank: item.frank,
  };
  const updated = { ...group, state, updatedAt: Date.now() };
  await store.applyIncoming({ itemId: item.id, group: updated, message });
  return {
    id: message.id,
    conversation: groupId,
    kind: updated.kind,
    title: updated.title,
    from: await ctx.dir.nameOf(message.senderAccountId),
    fromAccountId: message.senderAccountId,
    fromDeviceId: message.senderDeviceId,
    text: message.text,
    sentAt: message.sentAt,
    files,
    ...(item.request ? { request: true } : {}),
  };
}
