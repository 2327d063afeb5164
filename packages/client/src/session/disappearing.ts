/** Disappearing messages (docs/messaging.md): a conversation's timer is a control content that travels
 *  inside MLS like a reaction, so the server learns nothing it did not know. Each device deletes its own
 *  copies of messages older than the timer; nothing is deleted on the server, which only ever held
 *  ciphertext. */
import { isTimerSeconds, newFrankingSalt, toB64, type TimerSeconds } from "@safelight/protocol";
import { SafelightError } from "../errors.js";
import type { ClientStore } from "../store/types.js";
import { fetchWithheld } from "./attachments.js";
import type { SessionContext } from "./context.js";
import { awaitsConfirmation } from "./holding.js";
import { encryptAndPost } from "./messaging.js";

export interface DisappearingSetting {
  seconds: TimerSeconds;
  /** When the timer was set, and by whom; absent when no member ever set one. */
  setAt?: number;
  byAccountId?: string;
}

/** Sets the conversation's timer (0: off). Like a reaction it is a deliberate act of the user, so in a
 *  message request this account has not accepted it accepts the request (docs/safety.md). */
export async function setDisappearing(ctx: SessionContext, groupId: string, seconds: number): Promise<void> {
  if (!isTimerSeconds(seconds)) throw new SafelightError("SL_CLIENT_BAD_INPUT", "a timer is off, 5 minutes, 1 hour, 1 day or 1 week");
  await ctx.requireGroup(groupId);
  if (await awaitsConfirmation(ctx, groupId)) {
    throw new SafelightError("SL_CLIENT_DEVICES_UNCONFIRMED", "new devices in this conversation are not confirmed: confirm them before setting a timer");
  }
  const control = { type: "timer" as const, seconds };
  const content = { v: 1 as const, salt: toB64(newFrankingSalt()), sentAt: Date.now(), ...control };
  const posted = await encryptAndPost(ctx, groupId, content);
  await ctx.store.saveEvent({ id: posted.id, groupId, senderAccountId: ctx.requireProfile().accountId, sentAt: content.sentAt, control });
  if (posted.acceptedRequestFrom !== undefined) await fetchWithheld(ctx, posted.acceptedRequestFrom);
}

/** The latest timer any member set in the conversation. */
export async function disappearing(store: ClientStore, groupId: string): Promise<DisappearingSetting> {
  const events = await store.listEvents(groupId);
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.control.type === "timer") return { seconds: e.control.seconds, setAt: e.sentAt, byAccountId: e.senderAccountId };
  }
  return { seconds: 0 };
}

/** Deletes the messages whose time is up. A message sent before the timer counts from when the timer was
 *  set, so turning a timer on never deletes at once: at `now`, a message is gone once
 *  max(sentAt, setAt) + seconds ≤ now. Returns how many messages were deleted. */
export async function expireMessages(store: ClientStore, now: number): Promise<number> {
  let deleted = 0;
  for (const g of await store.listGroups()) {
    const { seconds, setAt } = await disappearing(store, g.groupId);
    const cutoff = now - seconds * 1000;
    if (seconds > 0 && setAt !== undefined && setAt <= cutoff) deleted += await store.deleteMessagesBefore(g.groupId, cutoff);
  }
  return deleted;
}

/** The timer choices and their words, shortest first. */
export const TIMER_LABELS: Record<TimerSeconds, string> = { 0: "off", 300: "5 minutes", 3600: "1 hour", 86400: "1 day", 604800: "1 week" };

/** The timeline's words for a timer change: "alice set disappearing messages to 1 hour". */
export function timerText(name: string, seconds: TimerSeconds): string {
  return seconds === 0 ? `${name} turned disappearing messages off` : `${name} set disappearing messages to ${TIMER_LABELS[seconds]}`;
}
