/**
 * Safety numbers (docs/safety-numbers.md): Signal's numeric fingerprint (libsignal
 * NumericFingerprintGenerator, version 0, 5200 iterations of SHA-512; the scannable form after its
 * CombinedFingerprints), with the "identity key" of each side replaced by a canonical encoding of the
 * account's whole current device-key set, so the number changes when any device is added or removed.
 * Pure JS (noble): the CLI, the SDK and the browser compute the same digits.
 */
import { sha512 } from "@noble/hashes/sha2.js";
import { fromB64, toB64 } from "./base64.js";
import { constantTimeEqual } from "./attachment.js";
import { concat } from "./franking.js";
import { utf8 } from "./utf8.js";

/** libsignal's display fingerprint version and iteration count; both sides must agree on them. */
const FINGERPRINT_VERSION = 0;
export const SAFETY_NUMBER_ITERATIONS = 5200;
/** First byte of our device-set encoding, so a future encoding cannot collide with this one. */
const DEVICE_SET_VERSION = 1;
/** First byte of the scannable payload (Signal's CombinedFingerprints carries a version the same way). */
const PAYLOAD_VERSION = 1;
const ED25519_KEY_BYTES = 32;
/** Signal puts the first 32 bytes of each side's iterated hash in the scannable form. */
const SCANNABLE_BYTES = 32;
const PAYLOAD_BYTES = 1 + 2 * SCANNABLE_BYTES;

/** One side of a conversation: an account id and the public keys of all its current devices. */
export interface AccountDeviceKeys {
  accountId: string;
  /** Ed25519 public keys (each device's MLS signature key), in any order. */
  deviceKeys: Uint8Array[];
}

export interface SafetyNumber {
  /** 60 decimal digits: both sides' 30-digit halves, the smaller first, so both sides see the same. */
  digits: string;
  /** What the QR code holds: version ‖ local fingerprint ‖ remote fingerprint (from this side's view). */
  payload: Uint8Array;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** The device set as one byte string: version ‖ uint16 count ‖ keys sorted bytewise (docs/safety-numbers.md). */
export function encodeDeviceSet(deviceKeys: readonly Uint8Array[]): Uint8Array {
  if (deviceKeys.length > 0xffff) throw new RangeError(`too many devices: ${deviceKeys.length}`);
  const sorted = [...deviceKeys].sort(compareBytes);
  sorted.forEach((key, i) => {
    if (key.length !== ED25519_KEY_BYTES) throw new RangeError(`device key must be ${ED25519_KEY_BYTES} bytes, got ${key.length}`);
    if (i > 0 && compareBytes(sorted[i - 1]!, key) === 0) throw new RangeError("the same device key appears twice");
  });
  return concat(new Uint8Array([DEVICE_SET_VERSION, sorted.length >> 8, sorted.length & 0xff]), ...sorted);
}

/** libsignal getFingerprint: hash = SHA-512(version ‖ key ‖ id), then 5200 times hash = SHA-512(hash ‖ key). */
function iteratedFingerprint(side: AccountDeviceKeys): Uint8Array {
  const key = encodeDeviceSet(side.deviceKeys);
  let hash = concat(new Uint8Array([FINGERPRINT_VERSION >> 8, FINGERPRINT_VERSION & 0xff]), key, utf8(side.accountId));
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) hash = sha512(concat(hash, key));
  return hash;
}

/** libsignal getDisplayStringFor: six 5-byte big-endian chunks, each mod 100000 as five digits. */
function displayDigits(hash: Uint8Array): string {
  let out = "";
  for (let offset = 0; offset < 30; offset += 5) {
    let chunk = 0;
    for (let i = 0; i < 5; i++) chunk = chunk * 256 + hash[offset + i]!; // < 2^40: exact in a double
    out += String(chunk % 100000).padStart(5, "0");
  }
  return out;
}

/** The safety number between this device's account (`local`) and a contact (`remote`). */
export function safetyNumber(local: AccountDeviceKeys, remote: AccountDeviceKeys): SafetyNumber {
  const mine = iteratedFingerprint(local);
  const theirs = iteratedFingerprint(remote);
  const [a, b] = [displayDigits(mine), displayDigits(theirs)];
  return {
    digits: a <= b ? a + b : b + a,
    payload: concat(new Uint8Array([PAYLOAD_VERSION]), mine.subarray(0, SCANNABLE_BYTES), theirs.subarray(0, SCANNABLE_BYTES)),
  };
}

/** 12 groups of 5 digits, as people read them aloud. */
export function formatSafetyNumber(digits: string): string {
  return (digits.match(/.{1,5}/g) ?? []).join(" ");
}

/** The QR payload as text (base64url), for pasting where no camera is at hand. */
export function safetyPayloadText(n: SafetyNumber): string {
  return toB64(n.payload);
}

/**
 * Whether what the other side shows matches ours: either their 60 digits (spaces ignored) or their
 * scannable payload, whose "local" half must be our "remote" half and vice versa. Anything else is false.
 */
export function safetyNumberMatches(mine: SafetyNumber, theirs: string): boolean {
  const compact = theirs.replace(/\s+/g, "");
  if (/^\d{60}$/.test(compact)) return constantTimeEqual(utf8(compact), utf8(mine.digits));
  const payload = fromB64(compact);
  if (!payload || payload.length !== PAYLOAD_BYTES || payload[0] !== PAYLOAD_VERSION) return false;
  const theirLocal = payload.subarray(1, 1 + SCANNABLE_BYTES);
  const theirRemote = payload.subarray(1 + SCANNABLE_BYTES);
  const ourLocal = mine.payload.subarray(1, 1 + SCANNABLE_BYTES);
  const ourRemote = mine.payload.subarray(1 + SCANNABLE_BYTES);
  return constantTimeEqual(theirLocal, ourRemote) && constantTimeEqual(theirRemote, ourLocal);
}
