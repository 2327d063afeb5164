/** Receipts, typing indicators and reactions (docs/messaging.md): control contents that travel inside MLS
 *  like any message, so the server sees only that a message was sent. None is sent on the user's behalf
 *  into a conversation holding a message request this account has not accepted: the server takes any
 *  message there as a reply that accepts it (SL-V108, docs/safety.md). */
import {
  decodeGroupState,
  isReactionEmoji,
  MAX_RECEIPT_IDS,
  members,
  newFrankingSalt,
  toB64,
  type ReceiptKind,
} from "@safelight/protocol";
import { SafelightError } from "../errors.js";
import type { TypingIndicators } from "../store/types.js";
import { fetchWithheld } from "./attachments.js";
import type { SessionContext } from "./context.js";
import { awaitsConfirmation } from "./holding.js";
import { encryptAndPost, targetRef } from "./messaging.js";
import { SafetyCalls } from "./safety.js";

/** The typing-indicator settings, widest first. */
export const TYPING_SETTINGS: readonly TypingIndicators[] = ["everyone", "contacts", "off"];

/** At most one "typing" per conversation this often; the indicator lapses on the other side after it. */
export const TYPING_INTERVAL_MS = 3000;

const safetyOf = (ctx: SessionContext) => new SafetyCalls((call) => ctx.authed(call), ctx.dir);

/** The conversation's members other than this account. */
async function others(ctx: SessionContext, groupId: string): Promise<Set<string>> {
  const group = await ctx.requireGroup(groupId);
  const me = ctx.requireProfile().accountId;
  return new Set(members(decodeGroupState(group.state)).map((m) => m.accountId).filter((id) => id !== me));
}

/** Whether a member of this conversation has a message request to this account still pending. */
export async function holdsPendingRequest(ctx: SessionContext, groupId: string): Promise<boolean> {
  const peers = await others(ctx, groupId);
  return (await safetyOf(ctx).requests()).some((r) => peers.has(r.accountId));
}

const salted = () => ({ v: 1 as const, salt: toB64(newFrankingSalt()), sentAt: Date.now() });

/** Sends receipts for these message references, split to the codec's limit; returns how many were sent.
 *  The caller has checked that the conversation holds no pending request. None goes to devices a
 *  "verified contacts only" conversation has not confirmed (docs/safety-numbers.md). */
export async function sendReceipts(ctx: SessionContext, groupId: string, kind: ReceiptKind, refs: string[]): Promise<number> {
  if (await awaitsConfirmation(ctx, groupId)) return 0;
  let sent = 0;
  for (let i = 0; i < refs.length; i += MAX_RECEIPT_IDS) {
    await encryptAndPost(ctx, groupId, { ...salted(), type: "receipt", kind, ids: refs.slice(i, i + MAX_RECEIPT_IDS) });
    sent++;
  }
  return sent;
}

/** Read receipts for these messages (ids from history), unless this device turned read receipts off or the
 *  conversation holds a pending request; only others' messages that carry a reference count. Returns how
 *  many messages the receipt named. */
export async function markRead(ctx: SessionContext, groupId: string, messageIds: string[]): Promise<number> {
  if (ctx.requireProfile().readReceipts === false || (await holdsPendingRequest(ctx, groupId))) return 0;
  const refs: string[] = [];
  for (const id of messageIds) {
    const m = await ctx.store.getMessage(id);
    if (m && m.groupId === groupId && !m.outgoing && m.ref) refs.push(m.ref);
  }
  await sendReceipts(ctx, groupId, "read", refs);
  return refs.length;
}

/** Reacts to a message with one emoji (or takes the reaction back). A reaction is the user answering, like
 *  a reply: in a pending request it accepts it, and what the request withheld is fetched. */
export async function react(ctx: SessionContext, messageId: string, emoji: string, remove: boolean): Promise<void> {
  if (!isReactionEmoji(emoji)) throw new SafelightError("SL_CLIENT_BAD_INPUT", "a reaction is exactly one emoji");
  const message = await ctx.store.getMessage(messageId);
  if (!message) throw new SafelightError("SL_CLIENT_UNKNOWN_MESSAGE", `no message ${messageId} on this device`);
  if (await awaitsConfirmation(ctx, message.groupId)) {
    throw new SafelightError("SL_CLIENT_DEVICES_UNCONFIRMED", "new devices in this conversation are not confirmed: confirm them before reacting");
  }
  const target = await targetRef(ctx, message.groupId, messageId);
  const control = { type: "reaction" as const, target, emoji, ...(remove ? { remove: true as const } : {}) };
  const content = { ...salted(), ...control };
  const posted = await encryptAndPost(ctx, message.groupId, content);
  await ctx.store.saveEvent({
    id: posted.id,
    groupId: message.groupId,
    senderAccountId: ctx.requireProfile().accountId,
    sentAt: content.sentAt,
    control,
  });
  if (posted.acceptedRequestFrom !== undefined) await fetchWithheld(ctx, posted.acceptedRequestFrom);
}

/** Typing indicators, throttled per conversation, to whom the user's setting says: by default everyone for
 *  an adult, and for a teen only conversations of contacts (docs/safety.md). Never sent into a pending
 *  request. */
export class Typing {
  private readonly lastOn = new Map<string, number>();
  private ageBand: string | undefined;

  constructor(private readonly ctx: SessionContext) {}

  /** Returns whether an indicator was sent. */
  async set(groupId: string, on: boolean): Promise<boolean> {
    const last = this.lastOn.get(groupId);
    // "on" at most once per interval; "off" only after an "on" this device sent.
    if (on ? last !== undefined && Date.now() - last < TYPING_INTERVAL_MS : last === undefined) return false;
    if (!(await this.allowed(groupId))) return false;
    if (on) this.lastOn.set(groupId, Date.now());
    else this.lastOn.delete(groupId);
    await encryptAndPost(this.ctx, groupId, { ...salted(), type: "typing", on });
    return true;
  }

  /** A message was sent: the other side clears the indicator on receiving it, so the next keystroke may
   *  send "typing" again at once. */
  sent(groupId: string): void {
    this.lastOn.delete(groupId);
  }

  /** The user's setting, or the age band's default. */
  async setting(): Promise<TypingIndicators> {
    const chosen = this.ctx.requireProfile().typingIndicators;
    if (chosen) return chosen;
    this.ageBand ??= (await safetyOf(this.ctx).settings()).ageBand;
    return this.ageBand === "teen" ? "contacts" : "everyone";
  }

  private async allowed(groupId: string): Promise<boolean> {
    if ((await holdsPendingRequest(this.ctx, groupId)) || (await awaitsConfirmation(this.ctx, groupId))) return false;
    const setting = await this.setting();
    if (setting !== "contacts") return setting === "everyone";
    const contacts = new Set((await safetyOf(this.ctx).contacts()).map((c) => c.accountId));
    return [...(await others(this.ctx, groupId))].every((id) => contacts.has(id));
  }
}
