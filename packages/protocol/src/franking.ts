/**
 * Message franking (docs/franking.md), after Facebook Messenger's scheme (Grubbs, Lu, Ristenpart,
 * "Message Franking via Committing Authenticated Encryption", CRYPTO 2017; Messenger Secret Conversations
 * whitepaper) as profiled for MLS by the IETF MIMI work (draft-ietf-mimi-protocol, "franking").
 *
 *  sender:   salt ← random(32) inside the encrypted content
 *            franking_tag = HMAC-SHA256(salt, application content bytes)
 *            authenticated_data of the PrivateMessage = "SLF1" ‖ franking_tag   (RFC 9420 §6.3)
 *  server:   server_frank = HMAC-SHA256(K_frank[keyId], franking_tag ‖ context)
 *            leaf         = "safelight-frank-sig-v1" ‖ server_frank ‖ context
 *            the leaves of all messages stamped in one event-loop turn form an RFC 9162 Merkle tree;
 *            signature    = Ed25519(K_sign[keyId], "safelight-frank-batch-v1" ‖ tree_size ‖ root), once
 *                           per batch;
 *            each message gets the signature and its inclusion proof (leafIndex, treeSize, path)
 *  receiver: recomputes the tag, drops the message on mismatch, recomputes the root from its leaf and
 *            proof, verifies the signature over it and that the MLS sender is the account the context
 *            names.
 *  report:   the reporter reveals (content, context, keyId, server_frank, signature, proof); the server
 *            recomputes the tag from the content's salt and its own server_frank, so neither a
 *            reporter (who cannot forge server_frank) nor a sender (whose tag is bound to the
 *            ciphertext the server saw) can frame anybody.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { constantTimeEqual } from "./attachment.js";
import { fromB64, toB64 } from "./base64.js";
import { merkleLeafHash, merkleRootFromInclusionProof } from "./merkle.js";
import { utf8 } from "./utf8.js";

export const FRANKING_SALT_BYTES = 32;
const TAG_BYTES = 32;
const AAD_MAGIC = new TextEncoder().encode("SLF1");
/** Starts every batch leaf (the per-message signature input before batch signing, kept as the leaf). */
const LEAF_LABEL = new TextEncoder().encode("safelight-frank-sig-v1");
/** Starts what the batch signature covers: never the same bytes as a leaf. */
const BATCH_LABEL = new TextEncoder().encode("safelight-frank-batch-v1");
/** A path longer than this cannot come from a tree whose size is a safe integer. */
const MAX_PATH = 53;

/** What the server vouches for about one accepted message. */
export interface FrankContext {
  senderAccountId: string;
  groupId: string;
  /** Server acceptance time, ms since the Unix epoch. */
  acceptedAt: number;
  messageId: string;
}

/** What a reporter reveals for one message (docs/protocol.md): the context, the content and the
 *  server's stamp; byte strings base64url. */
export interface FrankOpening extends ServerFrank {
  messageId: string;
  groupId: string;
  senderAccountId: string;
  acceptedAt: number;
  /** The exact MLS application bytes. */
  content: string;
}

/** Where a message's leaf sits in the batch the signature covers: an RFC 9162 §2.1.3 inclusion proof. */
export interface FrankProof {
  /** 0-based position of this message's leaf in the batch. */
  leafIndex: number;
  /** Number of leaves (messages) in the batch. */
  treeSize: number;
  /** base64url SHA-256 hashes, the leaf's sibling first, up to the root (RFC 9162 PATH). */
  inclusionPath: string[];
}

/** The server's stamp, delivered with the ciphertext and kept by recipients for reporting. */
export interface ServerFrank {
  keyId: string;
  /** base64url */
  serverFrank: string;
  /** base64url Ed25519 signature over the batch's size and root (frankBatchSignatureInput). */
  signature: string;
  proof: FrankProof;
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

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Unambiguous encoding of the context: a JSON array of fixed shape (JSON escaping keeps fields apart). */
export function encodeFrankContext(c: FrankContext): Uint8Array {
  // Server-made ids are base64url and times are integers, which JSON writes as they are: building that
  // text directly gives JSON.stringify's exact output at under half its cost (the server encodes one
  // context per message). Anything else goes through JSON.stringify.
  const direct =
    BASE64URL.test(c.senderAccountId) && BASE64URL.test(c.groupId) && BASE64URL.test(c.messageId) && Number.isSafeInteger(c.acceptedAt);
  return utf8(
    direct
      ? `["safelight-frank-context-v1","${c.senderAccountId}","${c.groupId}",${c.acceptedAt},"${c.messageId}"]`
      : JSON.stringify(["safelight-frank-context-v1", c.senderAccountId, c.groupId, c.acceptedAt, c.messageId]),
  );
}

export function concat(...parts: Uint8Array[]): Uint8Array {
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

/** One message's leaf in the batch tree: label ‖ server_frank ‖ encodeFrankContext(context). */
export function frankLeaf(serverFrank: Uint8Array, encodedContext: Uint8Array): Uint8Array {
  return concat(LEAF_LABEL, serverFrank, encodedContext);
}

/**
 * The exact bytes the server's Ed25519 batch signature covers: label ‖ tree_size (uint64, big-endian) ‖
 * root. Like an RFC 9162 signed tree head it signs the size with the root, because an inclusion path
 * alone does not fix the tree size.
 */
export function frankBatchSignatureInput(treeSize: number, root: Uint8Array): Uint8Array {
  const size = new Uint8Array(8);
  new DataView(size.buffer).setBigUint64(0, BigInt(treeSize));
  return concat(BATCH_LABEL, size, root);
}

/** The batch root a frank's proof leads to from (server_frank, context); undefined if malformed. */
function frankBatchRoot(frank: ServerFrank, context: FrankContext): Uint8Array | undefined {
  const serverFrank = fromB64(frank.serverFrank);
  const proof = frank.proof as Partial<FrankProof> | undefined;
  if (!serverFrank || typeof proof !== "object" || proof === null) return undefined;
  const { leafIndex, treeSize, inclusionPath } = proof;
  if (typeof leafIndex !== "number" || typeof treeSize !== "number" || !Array.isArray(inclusionPath)) return undefined;
  if (inclusionPath.length > MAX_PATH) return undefined;
  const path: Uint8Array[] = [];
  for (const h of inclusionPath) {
    const bytes = typeof h === "string" ? fromB64(h) : undefined;
    if (!bytes) return undefined;
    path.push(bytes);
  }
  return merkleRootFromInclusionProof(merkleLeafHash(frankLeaf(serverFrank, encodeFrankContext(context))), leafIndex, treeSize, path);
}

/**
 * Verifies the server's stamp on (server_frank, context): the inclusion proof leads from this message's
 * leaf to a root, and `publicKey` signed that root. Anyone holding the published key can run it.
 * `verifiedBatches`, when given, remembers verified batches (key, signature, size, root), so the other
 * messages of an already verified batch cost only their proof's hashes, not another Ed25519 verify.
 */
export function verifyServerFrank(
  publicKey: Uint8Array,
  frank: ServerFrank,
  context: FrankContext,
  verifiedBatches?: Set<string>,
): boolean {
  // The stamp arrives as JSON (queue items, reports): anything that is not one fails, it never throws.
  if (typeof frank !== "object" || frank === null || typeof frank.serverFrank !== "string" || typeof frank.signature !== "string") return false;
  const root = frankBatchRoot(frank, context);
  const signature = fromB64(frank.signature);
  if (!root || !signature) return false;
  const { treeSize } = frank.proof;
  const batch = `${toB64(publicKey)}.${frank.signature}.${treeSize}.${toB64(root)}`;
  if (verifiedBatches?.has(batch)) return true;
  let ok: boolean;
  try {
    ok = ed25519.verify(signature, frankBatchSignatureInput(treeSize, root), publicKey);
  } catch {
    ok = false;
  }
  if (ok) verifiedBatches?.add(batch);
  return ok;
}

/** Recipient check: does the revealed content match the tag the sender bound to the ciphertext? */
export function tagMatches(salt: Uint8Array, content: Uint8Array, tag: Uint8Array): boolean {
  return constantTimeEqual(frankingTag(salt, content), tag);
}
