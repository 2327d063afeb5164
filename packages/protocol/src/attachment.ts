/**
 * Attachment encryption with key commitment (docs/attachments.md).
 *
 * AES-256-GCM alone is not key-committing: one ciphertext can decrypt validly under two keys to two
 * different files ("invisible salamanders", Dodis et al. CRYPTO 2018; Albertini et al. USENIX Sec 2022).
 * We use the generic fix from Albertini et al. §5: derive the encryption key and a commitment from the
 * file key with HKDF (RFC 5869), store the commitment in the blob, and check it before decrypting.
 * In addition the MLS message commits to SHA-256 of the whole blob, so (key, blob) is pinned twice.
 *
 * Blob layout: "SLA1" ‖ commitment (32) ‖ nonce (12) ‖ AES-256-GCM(ciphertext ‖ tag).
 * WebCrypto only, so it runs in Node and browsers.
 */

const MAGIC = new TextEncoder().encode("SLA1");
const COMMIT_LEN = 32;
const NONCE_LEN = 12;
const HEADER_LEN = MAGIC.length + COMMIT_LEN + NONCE_LEN;
const TAG_LEN = 16;

export class AttachmentError extends Error {
  override name = "AttachmentError";
}

export interface SealedAttachment {
  blob: Uint8Array;
  key: Uint8Array;
  /** SHA-256 of blob. */
  digest: Uint8Array;
}

const subtle = () => globalThis.crypto.subtle;

async function derive(key: Uint8Array): Promise<{ encKey: CryptoKey; commitment: Uint8Array }> {
  const ikm = await subtle().importKey("raw", key as BufferSource, "HKDF", false, ["deriveBits"]);
  const bits = (info: string) =>
    subtle().deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new TextEncoder().encode(info) },
      ikm,
      256,
    );
  const [encBits, commitBits] = await Promise.all([
    bits("safelight attachment v1 encryption key"),
    bits("safelight attachment v1 key commitment"),
  ]);
  const encKey = await subtle().importKey("raw", encBits, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { encKey, commitment: new Uint8Array(commitBits) };
}

export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest("SHA-256", bytes as BufferSource));
}

/** Compares without an early exit, so timing does not reveal where two secrets differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export async function sealAttachment(plaintext: Uint8Array): Promise<SealedAttachment> {
  const key = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(NONCE_LEN));
  const { encKey, commitment } = await derive(key);
  const ct = new Uint8Array(
    await subtle().encrypt({ name: "AES-GCM", iv: nonce, additionalData: MAGIC }, encKey, plaintext as BufferSource),
  );
  const blob = new Uint8Array(HEADER_LEN + ct.length);
  blob.set(MAGIC, 0);
  blob.set(commitment, MAGIC.length);
  blob.set(nonce, MAGIC.length + COMMIT_LEN);
  blob.set(ct, HEADER_LEN);
  return { blob, key, digest: await sha256(blob) };
}

export async function openAttachment(blob: Uint8Array, key: Uint8Array, digest: Uint8Array): Promise<Uint8Array> {
  if (!constantTimeEqual(await sha256(blob), digest)) throw new AttachmentError("attachment digest mismatch");
  if (blob.length < HEADER_LEN + TAG_LEN || !constantTimeEqual(blob.subarray(0, MAGIC.length), MAGIC)) {
    throw new AttachmentError("not a Safelight attachment");
  }
  if (key.length !== 32) throw new AttachmentError("attachment key must be 32 bytes");
  const { encKey, commitment } = await derive(key);
  if (!constantTimeEqual(commitment, blob.subarray(MAGIC.length, MAGIC.length + COMMIT_LEN))) {
    throw new AttachmentError("attachment key does not match its commitment");
  }
  const nonce = blob.subarray(MAGIC.length + COMMIT_LEN, HEADER_LEN);
  try {
    return new Uint8Array(
      await subtle().decrypt({ name: "AES-GCM", iv: nonce as BufferSource, additionalData: MAGIC }, encKey, blob.subarray(HEADER_LEN) as BufferSource),
    );
  } catch {
    throw new AttachmentError("attachment failed authentication");
  }
}
