/** History: what this device has stored, projected for reading. Reads only the store it is given; member
 *  names come from the resolver it is given (the directory's cache, or the directory itself). */
import { decodeGroupState, members, type TimerSeconds } from "@safelight/protocol";
import type { ClientStore, StoredEvent, StoredMessage } from "../store/types.js";
import type { ConversationSummary, HistoryMessage, MessageStatus } from "./types.js";

/** Every conversation on this device with the accounts MLS lists as its members (RFC 9420 §7.8). */
export async function conversations(store: ClientStore, nameOf: (accountId: string) => Promise<string>): Promise<ConversationSummary[]> {
  const groups = await store.listGroups();
  return Promise.all(
    groups.map(async (g) => ({
      id: g.groupId,
      kind: g.kind,
      title: g.title,
      active: g.active,
      members: await Promise.all([...new Set(members(decodeGroupState(g.state)).map((m) => m.accountId))].map(nameOf)),
    })),
  );
}

/** Stored messages, of one conversation or all, in the store's order, with the receipts and reactions that
 *  name them folded in (docs/messaging.md). With `readReceipts` false, read receipts count as delivered. */
export async function history(
  store: ClientStore,
  me: { accountId: string; readReceipts: boolean },
  groupId?: string,
): Promise<HistoryMessage[]> {
  const [messages, events, groups] = await Promise.all([store.listMessages(groupId), store.listEvents(groupId), store.listGroups()]);
  const others = new Map(
    groups.map((g) => [g.groupId, new Set(members(decodeGroupState(g.state)).map((m) => m.accountId).filter((id) => id !== me.accountId))]),
  );
  const fold = new Fold(messages);
  for (const e of events) fold.apply(e, me.readReceipts);
  const views = messages.map((m) => fold.view(m, others.get(m.groupId) ?? new Set()));
  return withTimerEntries(views, events, me.accountId);
}

/** Each timer a member set becomes a line of the timeline, placed by when it was set: before the first
 *  message that arrived later. */
function withTimerEntries(views: HistoryMessage[], events: StoredEvent[], myAccountId: string): HistoryMessage[] {
  const entries = events.flatMap((e) => (e.control.type === "timer" ? [timerEntry(e, e.control.seconds, myAccountId)] : []));
  if (entries.length === 0) return views;
  const out: HistoryMessage[] = [];
  let next = 0;
  for (const v of views) {
    while (next < entries.length && entries[next]!.sentAt < v.receivedAt) out.push(entries[next++]!);
    out.push(v);
  }
  return out.concat(entries.slice(next));
}

function timerEntry(e: StoredEvent, seconds: TimerSeconds, myAccountId: string): HistoryMessage {
  return {
    id: e.id,
    groupId: e.groupId,
    senderAccountId: e.senderAccountId,
    senderDeviceId: "",
    text: "",
    sentAt: e.sentAt,
    receivedAt: e.sentAt,
    files: [],
    outgoing: e.senderAccountId === myAccountId,
    reactions: [],
    timer: seconds,
  };
}

const RANK: Record<MessageStatus, number> = { sent: 0, delivered: 1, read: 2 };

/** Receipts and reactions per message, applied in arrival order. A reference names a message only within
 *  its own conversation, and a receipt from the message's own sender counts for nothing. */
class Fold {
  private readonly byRef = new Map<string, StoredMessage>();
  private readonly receipts = new Map<string, Map<string, MessageStatus>>();
  private readonly reactions = new Map<string, Map<string, Set<string>>>();

  constructor(messages: StoredMessage[]) {
    for (const m of messages) if (m.ref && !this.byRef.has(key(m.groupId, m.ref))) this.byRef.set(key(m.groupId, m.ref), m);
  }

  apply(e: StoredEvent, readReceipts: boolean): void {
    const c = e.control;
    if (c.type === "timer") return; // the conversation's setting (disappearing.ts), not about one message
    if (c.type === "reaction") {
      const target = this.byRef.get(key(e.groupId, c.target));
      if (!target) return;
      const perEmoji = getOrAdd(this.reactions, target.id, () => new Map<string, Set<string>>());
      const who = getOrAdd(perEmoji, c.emoji, () => new Set<string>());
      if (c.remove) who.delete(e.senderAccountId);
      else who.add(e.senderAccountId);
      return;
    }
    const status: MessageStatus = c.kind === "read" && readReceipts ? "read" : "delivered";
    for (const ref of c.ids) {
      const target = this.byRef.get(key(e.groupId, ref));
      if (!target || target.senderAccountId === e.senderAccountId) continue;
      const perAccount = getOrAdd(this.receipts, target.id, () => new Map<string, MessageStatus>());
      if (RANK[status] > RANK[perAccount.get(e.senderAccountId) ?? "sent"]) perAccount.set(e.senderAccountId, status);
    }
  }

  view(m: StoredMessage, others: Set<string>): HistoryMessage {
    const replyToId = m.replyTo ? this.byRef.get(key(m.groupId, m.replyTo))?.id : undefined;
    const reactions = [...(this.reactions.get(m.id) ?? [])]
      .filter(([, who]) => who.size > 0)
      .map(([emoji, who]) => ({ emoji, accountIds: [...who] }));
    const view: HistoryMessage = { ...m, reactions, ...(replyToId ? { replyToId } : {}) };
    if (!m.outgoing) return view;
    // The least any other member reached: read by all, delivered to all, or only stored by the server.
    const got = this.receipts.get(m.id);
    const least = Math.min(...[...others].map((id) => RANK[got?.get(id) ?? "sent"]));
    return { ...view, status: others.size === 0 ? "sent" : (["sent", "delivered", "read"] as const)[least]! };
  }
}

const key = (groupId: string, ref: string) => `${groupId} ${ref}`;

function getOrAdd<K, V>(map: Map<K, V>, k: K, make: () => V): V {
  let v = map.get(k);
  if (v === undefined) map.set(k, (v = make()));
  return v;
}
