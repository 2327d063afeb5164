/**
 * "Verified contacts only" (docs/safety-numbers.md, "Holding messages"): in such a conversation a text is
 * encrypted and sent only while every other member device in the MLS roster belongs to a verified
 * contact and is one of the devices it was verified with; otherwise it is held on this device, never
 * encrypted, until the user confirms the contacts' current devices.
 */
import { decodeGroupState, members, toB64 } from "@safelight/protocol";
import { SafelightError } from "../errors.js";
import type { SessionContext } from "./context.js";
import { sendInGroup } from "./messaging.js";
import type { OutgoingFile } from "./types.js";
import { deviceSetOf, verifiedKeys } from "./verification.js";

export interface SendResult {
  id: string;
  conversation: string;
  /** Held, not sent: some member devices are not confirmed (confirmDevices sends it). */
  held?: boolean;
}

/** Other accounts in the conversation's roster with a device that is not among their verified ones. */
export async function unconfirmedAccounts(ctx: SessionContext, groupId: string): Promise<string[]> {
  const group = await ctx.requireGroup(groupId);
  const me = ctx.requireProfile().accountId;
  const roster = new Map<string, string[]>();
  for (const m of members(decodeGroupState(group.state))) {
    if (m.accountId !== me) roster.set(m.accountId, [...(roster.get(m.accountId) ?? []), m.deviceId]);
  }
  const out: string[] = [];
  for (const [accountId, deviceIds] of roster) {
    const verified = await verifiedKeys(ctx, accountId);
    const account = await ctx.dir.byId(accountId, true);
    const confirmed = deviceIds.every((id) => {
      const key = account.devices.find((d) => d.deviceId === id)?.signatureKey;
      return key !== undefined && verified.has(key);
    });
    if (!confirmed) out.push(accountId);
  }
  return out;
}

/** Whether this is a "verified contacts only" conversation where nothing may be encrypted now: some member
 *  devices are unconfirmed, or texts are already held (a new one waits behind them, so confirmDevices keeps
 *  their order). Receipts, typing and reactions obey it too (docs/messaging.md). */
export async function awaitsConfirmation(ctx: SessionContext, groupId: string): Promise<boolean> {
  if (!(await ctx.store.isVerifiedOnly(groupId))) return false;
  return (await ctx.store.listHeld(groupId)).length > 0 || (await unconfirmedAccounts(ctx, groupId)).length > 0;
}

export async function sendOrHold(
  ctx: SessionContext,
  groupId: string,
  text: string,
  files: OutgoingFile[],
  replyTo?: string,
): Promise<SendResult> {
  if (!(await awaitsConfirmation(ctx, groupId))) return sendInGroup(ctx, groupId, text, files, replyTo);
  // Only plain texts are held; a file or a reply waits for the user to confirm the devices first.
  if (files.length > 0 || replyTo !== undefined) {
    throw new SafelightError(
      "SL_CLIENT_DEVICES_UNCONFIRMED",
      "new devices in this conversation are not confirmed: confirm them before sending files or replies",
    );
  }
  const id = toB64(globalThis.crypto.getRandomValues(new Uint8Array(16)));
  await ctx.store.holdMessage({ id, groupId, text, heldAt: Date.now() });
  return { id, conversation: groupId, held: true };
}

/** The user accepts the current devices of every member account: they become its verified devices,
 *  then the held messages are sent, oldest first. Returns what was sent. */
export async function confirmDevices(ctx: SessionContext, groupId: string): Promise<SendResult[]> {
  for (const accountId of await unconfirmedAccounts(ctx, groupId)) {
    const account = await ctx.dir.byId(accountId, true);
    await ctx.store.saveVerification({ accountId, deviceSet: deviceSetOf(account), verifiedAt: Date.now() });
  }
  const sent: SendResult[] = [];
  for (const held of await ctx.store.listHeld(groupId)) {
    sent.push(await sendInGroup(ctx, groupId, held.text, []));
    await ctx.store.deleteHeld(held.id);
  }
  return sent;
}

