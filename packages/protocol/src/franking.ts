/**
 * Message franking (docs/franking.md), after Facebook Messenger's scheme (Grubbs, Lu, Ristenpart,
 * "Message Franking via Committing Authenticated Encryption", CRYPTO 2017; Messenger Secret Conversations
 * whitepaper) as profiled for MLS by the IETF MIMI work (draft-ietf-mimi-protocol, "franking").
 *
 *  sender:   salt ← random(32) inside the encrypted content
 *            franking_tag = HMAC-SHA256(salt, application content bytes)
 *            authenticated_data of the PrivateMessage = "SLF1" ‖ franking_tag   (RFC 9420 §6.3)
 *  server:   server_frank = HMAC-SHA256(K_frank[keyId], franking_tag ‖ context)
 *            signature    = Ed25519(K_sign[keyId], "safelight-frank-sig-v1" ‖ server_frank ‖ context)
 *  receiver: recomputes the tag, drops the message on mismatch, verifies the signature and that the MLS
 *            sender is the account the context names.
 *  report:   the reporter reveals (content, context, keyId, server_frank, signature); the server
 *            recomputes the tag from the content's salt and its own server_frank, so neither a
 *            reporter (who cannot forge server_frank) nor a sender (whose tag is bound to the
 *            ciphertext the server saw) can frame anybody.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { constantTimeEqual } from "./attachment.js";

export const FRANKING_SALT_BYTES = 32;
const TAG_BYTES = 32;
const AAD_MAGIC = new TextEncoder().encode("SLF1");
const SIG_LABEL = new TextEncoder().encode("safelight-frank-sig-v1");

/** What the server vouches for about one accepted message. */
export interface FrankContext {
  senderAccountId: string;
  groupId: string;
  /** Server acceptance time, ms since the Unix epoch. */
  acceptedAt: number;
  messageId: string;
}

/** What a reporter reveals for one message (docs/protocol.md): byte strings base64url. */
export interface FrankOpening {
  messageId: string;
  groupId: string;
  senderAccountId: string;
  acceptedAt: number;
  /** The exact MLS application bytes. */
  content: string;
  keyId: string;
  serverFrank: string;
  signature: string;
}

/** The server's stamp, delivered with the ciphertext and kept by recipients for reporting. */
export interface ServerFrank {
  keyId: string;
  /** base64url */
  serverFrank: string;
  /** base64url */
  signature: string;
}

export function newFrankingSalt(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(FRANKING_SALT_BYTES));
}

export function frankingTag(salt: Uint8Array, content: Uint8Array): Uint8Array {
  return hmac(sha256, salt, content);
}

export function encodeFrankingAad(tag: Uint8Array): Uint8Array {
  const out = new Uint8Array(AAD_MAGIC.length + TAG_BYTES);
  out.set(AAD_MAGIC, 0);
  out.set(tag, AAD_MAGIC.length);
  return out;
}

/** The franking tag in a PrivateMessage's authenticated_data, or undefined if it carries none. */
export function decodeFrankingAad(aad: Uint8Array): Uint8Array | undefined {
  if (aad.length !== AAD_MAGIC.length + TAG_BYTES) return undefined;
  if (!constantTimeEqual(aad.subarray(0, AAD_MAGIC.length), AAD_MAGIC)) return undefined;
  return aad.slice(AAD_MAGIC.length);
}

/** Unambiguous encoding of the context: a JSON array of fixed shape (JSON escaping keeps fields apart). */
export function encodeFrankContext(c: FrankContext): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify(["safelight-frank-context-v1", c.senderAccountId, c.groupId, c.acceptedAt, c.messageId]),
  );
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function computeServerFrank(frankKey: Uint8Array, tag: Uint8Array, context: FrankContext): Uint8Array {
  return hmac(sha256, frankKey, concat(tag, encodeFrankContext(context)));
}

/** The exact bytes the server's Ed25519 franking signature covers. */
export function frankSignatureInput(serverFrank: Uint8Array, context: FrankContext): Uint8Array {
  return concat(SIG_LABEL, serverFrank, encodeFrankContext(context));
}

export function signServerFrank(signKey: Uint8Array, serverFrank: Uint8Array, context: FrankContext): Uint8Array {
  return ed25519.sign(frankSignatureInput(serverFrank, context), signKey);
}

export function verifyServerFrankSignature(
  publicKey: Uint8Array,
  serverFrank: Uint8Array,
  context: FrankContext,
  signature: Uint8Array,
): boolean {
  try {
    return ed25519.verify(signature, frankSignatureInput(serverFrank, context), publicKey);
  } catch {
    return false;
  }
}

/** Recipient check: does the revealed content match the tag the sender bound to the ciphertext? */
export function tagMatches(salt: Uint8Array, content: Uint8Array, tag: Uint8Array): boolean {
  return constantTimeEqual(frankingTag(salt, content), tag);
}
