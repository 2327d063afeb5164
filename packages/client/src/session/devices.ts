/** This account's devices: listing them, and removing one (a lost phone). The server ends the removed
 *  device's access at once; this device then takes its leaves out of every conversation (docs/protocol.md,
 *  "Devices"). */
import { deviceKeyFingerprint, fromB64 } from "@safelight/protocol";
import { SafelightError } from "../errors.js";
import type { SessionContext } from "./context.js";
import { removeOwnDevice } from "./groups.js";

export interface AccountDeviceInfo {
  deviceId: string;
  /** The device's Ed25519 public key, base64url, and a short label of it (deviceKeyFingerprint). */
  signatureKey: string;
  fingerprint: string;
  /** When it was registered or linked (server time, ms). */
  linkedAt: number;
  /** This device. */
  current: boolean;
}

export async function listDevices(ctx: SessionContext): Promise<AccountDeviceInfo[]> {
  const { devices } = await ctx.authed((a) => a.devices());
  return devices.map((d) => ({
    deviceId: d.deviceId,
    signatureKey: d.signatureKey,
    fingerprint: deviceKeyFingerprint(fromB64(d.signatureKey) ?? new Uint8Array()),
    linkedAt: d.createdAt,
    current: d.current,
  }));
}

/** Removes another device of this account; returns the conversations it was taken out of. A removal
 *  the server already made (an earlier call that stopped half way) finishes the MLS part. */
export async function removeDevice(ctx: SessionContext, deviceId: string): Promise<string[]> {
  let notFound: SafelightError | undefined;
  try {
    await ctx.authed((a) => a.removeDevice(deviceId));
  } catch (err) {
    if (!(err instanceof SafelightError) || err.code !== "SL_ERR_NOT_FOUND") throw err;
    notFound = err;
  }
  const conversations = await removeOwnDevice(ctx, deviceId);
  if (notFound && conversations.length === 0) {
    throw new SafelightError("SL_ERR_NOT_FOUND", `no device ${deviceId} on this account (see the device list)`, 404);
  }
  return conversations;
}
