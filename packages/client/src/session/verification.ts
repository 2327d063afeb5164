/**
 * Safety numbers and verified contacts (docs/safety-numbers.md): the number is computed from the
 * directory's current device lists of both accounts, fetched fresh, so a device the server added shows.
 */
import { encodeDeviceSet, fromB64, safetyNumber, safetyNumberMatches, toB64, type SafetyNumber } from "@safelight/protocol";
import { SafelightError } from "../errors.js";
import type { KnownAccount } from "../store/types.js";
import type { SessionContext } from "./context.js";

export interface ContactVerification {
  /** Verified, and the contact's devices are still the ones they were verified with. */
  verified: boolean;
  /** Verified once, but the contact's device set has changed since (a new or removed device). */
  changedSinceVerified: boolean;
  verifiedAt?: number;
}

function deviceKeys(account: KnownAccount): Uint8Array[] {
  return account.devices.map((d) => {
    const key = fromB64(d.signatureKey);
    if (!key) throw new SafelightError("SL_CLIENT_BAD_DIRECTORY", `directory lists a malformed key for ${account.name}`);
    return key;
  });
}

async function pair(ctx: SessionContext, name: string): Promise<{ peer: KnownAccount; number: SafetyNumber }> {
  const me = ctx.requireProfile();
  const peer = await ctx.dir.byName(name);
  const own = await ctx.dir.byId(me.accountId, true);
  const number = safetyNumber(
    { accountId: own.accountId, deviceKeys: deviceKeys(own) },
    { accountId: peer.accountId, deviceKeys: deviceKeys(peer) },
  );
  return { peer, number };
}

export const deviceSetOf = (peer: KnownAccount) => toB64(encodeDeviceSet(deviceKeys(peer)));

/** The base64url device keys a contact was verified with (none if never verified). The stored set is
 *  our own encodeDeviceSet output: 3 header bytes, then 32-byte keys. */
export async function verifiedKeys(ctx: SessionContext, accountId: string): Promise<Set<string>> {
  const stored = await ctx.store.getVerification(accountId);
  const bytes = stored ? fromB64(stored.deviceSet) : undefined;
  const keys = new Set<string>();
  if (!bytes) return keys;
  for (let at = 3; at + 32 <= bytes.length; at += 32) keys.add(toB64(bytes.subarray(at, at + 32)));
  return keys;
}

export async function safetyNumberWith(ctx: SessionContext, name: string): Promise<SafetyNumber> {
  return (await pair(ctx, name)).number;
}

/** Marks NAME verified if `theirs` (their 60 digits or their scannable payload as text) matches ours. */
export async function markVerified(ctx: SessionContext, name: string, theirs: string): Promise<void> {
  const { peer, number } = await pair(ctx, name);
  if (!safetyNumberMatches(number, theirs)) {
    throw new SafelightError("SL_CLIENT_SAFETY_NUMBER_MISMATCH", `the safety number does not match ${peer.name}'s: do not mark them verified`);
  }
  await ctx.store.saveVerification({ accountId: peer.accountId, deviceSet: deviceSetOf(peer), verifiedAt: Date.now() });
}

/** Compares the stored verification with the contact's device set as the directory lists it now. */
export async function verificationOf(ctx: SessionContext, name: string): Promise<ContactVerification> {
  const peer = await ctx.dir.byName(name);
  const stored = await ctx.store.getVerification(peer.accountId);
  if (!stored) return { verified: false, changedSinceVerified: false };
  const same = stored.deviceSet === deviceSetOf(peer);
  return { verified: same, changedSinceVerified: !same, verifiedAt: stored.verifiedAt };
}
