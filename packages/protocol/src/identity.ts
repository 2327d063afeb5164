/**
 * How an MLS BasicCredential names a Safelight device (RFC 9420 §5.3).
 *
 * identity = UTF-8 of `<accountId>.<deviceId>`. Both ids are server-issued, URL-safe
 * ([A-Za-z0-9_-]{1,64}). The authentication service (the server's device directory) accepts a
 * credential only when that device is registered with exactly the credential's signature key.
 */

export interface DeviceIdentity {
  accountId: string;
  deviceId: string;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

export function encodeIdentity(who: DeviceIdentity): Uint8Array {
  if (!isValidId(who.accountId) || !isValidId(who.deviceId)) {
    throw new RangeError(`invalid account or device id: ${JSON.stringify(who)}`);
  }
  return new TextEncoder().encode(`${who.accountId}.${who.deviceId}`);
}

/** Returns undefined for anything that is not a well-formed Safelight identity. */
export function decodeIdentity(bytes: Uint8Array): DeviceIdentity | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  const dot = text.indexOf(".");
  if (dot < 0) return undefined;
  const accountId = text.slice(0, dot);
  const deviceId = text.slice(dot + 1);
  if (!isValidId(accountId) || !isValidId(deviceId)) return undefined;
  return { accountId, deviceId };
}
