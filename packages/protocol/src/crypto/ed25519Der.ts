// Wrap raw Ed25519 keys (RFC 8032 byte strings, as MLS carries them) in the
// fixed ASN.1 envelopes that key-import APIs want. Pure byte handling, no I/O.

// RFC 8410 §7: PrivateKeyInfo { version 0, AlgorithmIdentifier id-Ed25519, OCTET STRING { OCTET STRING seed } }
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
// RFC 8410 §4: SubjectPublicKeyInfo { AlgorithmIdentifier id-Ed25519, BIT STRING key }
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

export const ED25519_KEY_LENGTH = 32;
export const ED25519_PKCS8_LENGTH = PKCS8_PREFIX.length + ED25519_KEY_LENGTH;

function wrap(prefix: Uint8Array, raw: Uint8Array, what: string): Uint8Array {
  if (raw.length !== ED25519_KEY_LENGTH) {
    throw new RangeError(`Ed25519 ${what} must be ${ED25519_KEY_LENGTH} bytes, got ${raw.length}`);
  }
  const out = new Uint8Array(prefix.length + raw.length);
  out.set(prefix, 0);
  out.set(raw, prefix.length);
  return out;
}

/** PKCS#8 DER for a 32-byte Ed25519 seed. */
export function ed25519SeedToPkcs8(seed: Uint8Array): Uint8Array {
  return wrap(PKCS8_PREFIX, seed, "private key");
}

/** SPKI DER for a 32-byte Ed25519 public key. */
export function ed25519PublicToSpki(publicKey: Uint8Array): Uint8Array {
  return wrap(SPKI_PREFIX, publicKey, "public key");
}

/**
 * Accept both private-key shapes seen in ts-mls state: the raw 32-byte seed
 * (RFC 8032, what other MLS stacks and the test vectors use) and the 48-byte
 * PKCS#8 blob that ts-mls's WebCrypto provider emits from keygen.
 */
export function ed25519PrivateToPkcs8(signKey: Uint8Array): Uint8Array {
  if (signKey.length === ED25519_PKCS8_LENGTH && PKCS8_PREFIX.every((b, i) => signKey[i] === b)) {
    return signKey;
  }
  return ed25519SeedToPkcs8(signKey);
}
