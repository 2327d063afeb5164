/**
 * Device signing keys (Ed25519, RFC 8032) and the challenge–response proof used to register, log in and
 * link devices (docs/protocol.md). The same key is the device's MLS signature key.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { SigningKeys } from "./mls/engine.js";

export type AuthPurpose = "register" | "login" | "link";

export function generateDeviceKeys(): SigningKeys {
  const signKey = ed25519.utils.randomSecretKey();
  return { signKey, publicKey: ed25519.getPublicKey(signKey) };
}

/** The exact bytes a device signs to answer a challenge; the purpose stops a proof for one action
 *  being replayed as another. */
export function authMessage(purpose: AuthPurpose, challenge: string): Uint8Array {
  return new TextEncoder().encode(`safelight-auth-v1:${purpose}:${challenge}`);
}

export function signChallenge(keys: SigningKeys, purpose: AuthPurpose, challenge: string): Uint8Array {
  return ed25519.sign(authMessage(purpose, challenge), keys.signKey);
}

export function verifyChallenge(publicKey: Uint8Array, purpose: AuthPurpose, challenge: string, signature: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, authMessage(purpose, challenge), publicKey);
  } catch {
    return false;
  }
}

/** A short label for people to tell a device key from another in a device list: the first 8 bytes of
 *  SHA-256(key), hex in groups of four ("1f0c 9a2e 44b1 07d3"). It names a key; it does not verify one
 *  (that is what safety numbers and the key-transparency log are for). */
export function deviceKeyFingerprint(publicKey: Uint8Array): string {
  const hex = Array.from(sha256(publicKey).subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
  return hex.match(/.{4}/g)!.join(" ");
}
