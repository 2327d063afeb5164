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
  type AppContent,
  type FrankContext,
} from "@safelight/protocol";
import type { QueueItem } from "../transport/api.js";
import type { StoredControl, StoredEvent, StoredGroup, StoredMessage } from "../store/types.js";
import { fetchFile } from "./attachments.js";
import type { SessionContext } from "./context.js";
import { rosterChanges } from "./deviceChanges.js";
import type { FrankVerifier } from "./frankVerifier.js";
import type { ConversationEvent, ReceivedMessage } from "./types.js";

/** What an application message became: a message to show (with its reference, for the delivery receipt),
 *  an event for listeners, or nothing (a meta message, or a control held back). */
export type Applied = { message: ReceivedMessage; ref: string | undefined } | { event: ConversationEvent } | undefined;

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

/** Applies another member's commit; a commit that removes this device leaves the group inactive (RFC 9420 §12.4.2).
 *  Returns the roster changes it made, stored with it as timeline entries. */
export async function applyCommit(ctx: SessionContext, item: QueueItem, groupId: string, bytes: Uint8Array): Promise<StoredMessage[]> {
  const itemId = item.id;
  const group = await ctx.store.getGroup(groupId);
  if (!group || !group.active) throw new Error("commit for a conversation this device is not in");
  const before = decodeGroupState(group.state);
  const result = await processIncoming(ctx.mls, before, bytes);
  const deviceChanges = rosterChanges(before, result.state, groupId, itemId, item.sentAt);
  await ctx.store.applyIncoming({
    deviceChanges,
    itemId,
    group: {
      ...group,
      state: encodeGroupState(result.state),
      active: !(result.kind === "commit" && result.removedSelf),
      updatedAt: Date.now(),
    },
  });
  return deviceChanges;
}

/** Decrypts an application message, checks its franking tag and the server's stamp, and stores it: a meta
 *  message updates the conversation, a text message becomes a ReceivedMessage, a receipt or reaction is
 *  kept for history to fold in, a typing indicator only goes to listeners. */
export async function applyApplication(
  ctx: SessionContext,
  franks: FrankVerifier,
  item: QueueItem,
  groupId: string,
  bytes: Uint8Array,
): Promise<Applied> {
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
    const updated = { ...group, state, updatedAt: Date.now() };
    // A control from someone whose request is pending, or from this account's other devices, is not shown;
    // except a timer this account set on another device, which applies here too.
    const fromSelf = result.sender.accountId === ctx.requireProfile().accountId;
    if (item.request || (fromSelf && content.type !== "timer")) {
      await store.applyIncoming({ itemId: item.id, group: updated });
      return undefined;
    }
    const control = content.type === "typing" ? undefined : controlOf(content);
    const event: StoredEvent | undefined = control && {
      id: item.id,
      groupId,
      senderAccountId: result.sender.accountId,
      sentAt: item.sentAt,
      control,
    };
    await store.applyIncoming({ itemId: item.id, group: updated, ...(event ? { event } : {}) });
    return { event: await describe(ctx, updated, result.sender.accountId, item.sentAt, content) };
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
    ...(content.id ? { ref: content.id } : {}),
    ...(content.replyTo ? { replyTo: content.replyTo } : {}),
  };
  const updated = { ...group, state, updatedAt: Date.now() };
  await store.applyIncoming({ itemId: item.id, group: updated, message });
  const replyTo = content.replyTo && (await store.findByRef(groupId, content.replyTo))?.id;
  const received: ReceivedMessage = {
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
    ...(replyTo ? { replyTo } : {}),
  };
  return { message: received, ref: content.id };
}

type ControlContent = Extract<AppContent, { type: "receipt" | "reaction" | "typing" | "timer" }>;

function controlOf(content: Exclude<ControlContent, { type: "typing" }>): StoredControl {
  switch (content.type) {
    case "receipt":
      return { type: "receipt", kind: content.kind, ids: content.ids };
    case "reaction":
      return { type: "reaction", target: content.target, emoji: content.emoji, ...(content.remove ? { remove: true as const } : {}) };
    case "timer":
      return { type: "timer", seconds: content.seconds };
  }
}

/** The listeners' view of a control: references resolved to the ids history uses. */
async function describe(
  ctx: SessionContext,
  group: StoredGroup,
  fromAccountId: string,
  sentAt: number,
  content: ControlContent,
): Promise<ConversationEvent> {
  const idOf = async (ref: string) => (await ctx.store.findByRef(group.groupId, ref))?.id;
  const about = { conversation: group.groupId, from: await ctx.dir.nameOf(fromAccountId), fromAccountId, sentAt };
  switch (content.type) {
    case "typing":
      return { ...about, type: "typing", on: content.on };
    case "receipt": {
      const ids = await Promise.all(content.ids.map(idOf));
      return { ...about, type: "receipt", kind: content.kind, messageIds: ids.filter((id) => id !== undefined) };
    }
    case "reaction":
      return { ...about, type: "reaction", messageId: await idOf(content.target), emoji: content.emoji, remove: content.remove === true };
    case "timer":
      return { ...about, type: "timer", seconds: content.seconds };
  }
}
