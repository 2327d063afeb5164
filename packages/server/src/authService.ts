import type { InspectedKeyPackage, InspectedLeaf } from "@safelight/protocol";
import { ApiError } from "./errors.js";
import type { DeviceRef, Storage } from "./storage/types.js";

/** RFC 9420 §5.3.1: ciphersuite 1 is the only one Safelight accepts (docs/protocol.md). */
export const CIPHER_SUITE = 1;

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * A committer's new leaf (UpdatePath, RFC 9420 §7.6) must still be the committer's own device with
 * its registered key: a member may rotate HPKE keys, not become someone else (RFC 9420 §5.3.1).
 */
export async function authenticatePathLeaf(storage: Storage, leaf: InspectedLeaf, committer: DeviceRef): Promise<void> {
  const id = leaf.identity;
  // SL-V006 (RFC 9420 §7.6, §5.3.1): the committer's UpdatePath leaf keeps its device and registered key
  if (id === undefined || id.accountId !== committer.accountId || id.deviceId !== committer.deviceId) {
    throw new ApiError("SL_ERR_BAD_COMMIT", "the committer's new leaf must keep naming the committing device");
  }
  const device = await storage.getDevice(committer.deviceId);
  if (device === undefined || device.revokedAt !== undefined || !equalBytes(device.signatureKey, leaf.signatureKey)) {
    throw new ApiError("SL_ERR_BAD_COMMIT", "the committer's new leaf must keep the device's registered key");
  }
}

/**
 * The authentication service: a KeyPackage is acceptable when its basic credential names a
 * registered device and its leaf signature key is exactly that device's key. If `expected` is
 * given, the credential must name that device (uploads: the caller's own device).
 */
export async function authenticateKeyPackage(
  storage: Storage,
  kp: InspectedKeyPackage,
  expected?: DeviceRef,
): Promise<DeviceRef> {
  // SL-V019 (RFC 9420 §10.1, §12.2): a KeyPackage's cipher suite is the group's, ciphersuite 1
  if (kp.cipherSuite !== CIPHER_SUITE) throw new ApiError("SL_ERR_BAD_KEY_PACKAGE", "unsupported cipher suite");
  // SL-V004 (RFC 9420 §5.3.1): a KeyPackage's credential names a registered device with that device's key
  if (kp.identity === undefined) {
    throw new ApiError("SL_ERR_BAD_KEY_PACKAGE", "credential is not a basic credential naming a Safelight device");
  }
  if (expected && (kp.identity.accountId !== expected.accountId || kp.identity.deviceId !== expected.deviceId)) {
    throw new ApiError("SL_ERR_BAD_KEY_PACKAGE", "credential does not name the uploading device");
  }
  const device = await storage.getDevice(kp.identity.deviceId);
  if (device === undefined || device.accountId !== kp.identity.accountId) {
    throw new ApiError("SL_ERR_BAD_KEY_PACKAGE", "credential names an unknown device");
  }
  // A removed device's KeyPackage (one a member kept from before) cannot bring it back into a group.
  if (device.revokedAt !== undefined) throw new ApiError("SL_ERR_BAD_KEY_PACKAGE", "credential names a device removed from its account");
  if (!equalBytes(device.signatureKey, kp.signatureKey)) {
    throw new ApiError("SL_ERR_BAD_KEY_PACKAGE", "leaf signature key is not the device's registered key");
  }
  // SL-V005 (RFC 9420 §10.1): KeyPackage.signature verifies under its leaf's signature key
  if (!kp.signatureValid) throw new ApiError("SL_ERR_BAD_KEY_PACKAGE", "KeyPackage signature does not verify");
  return kp.identity;
}
