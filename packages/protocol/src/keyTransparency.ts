/**
 * The key-transparency log (docs/key-transparency.md): every change of an account's device keys is one
 * entry of an append-only RFC 9162 Merkle log, and the server signs tree heads with Ed25519 like a
 * Certificate Transparency log (RFC 9162 §4.10 signed tree head: size, timestamp, root). Entries hold
 * account ids, device ids and public keys only. Pure JS: clients, auditors and the server share it.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { fromB64 } from "./base64.js";
import { concat } from "./franking.js";
import { merkleLeafHash, merkleRootFromInclusionProof, merkleRootOfLeafHashes, merkleNodeHash, verifyMerkleConsistency } from "./merkle.js";
import { utf8 } from "./utf8.js";
import { constantTimeEqual } from "./attachment.js";

/** Starts every leaf and every signed head: never the same bytes as each other or as a franking leaf. */
const LEAF_LABEL = utf8("safelight-kt-entry-v1");
const HEAD_LABEL = utf8("safelight-kt-head-v1");
/** A path longer than this cannot come from a tree whose size is a safe integer. */
const MAX_PATH = 53;

export type KtAction = "add" | "revoke";

/** One account→device-key change. */
export interface KtEntry {
  accountId: string;
  deviceId: string;
  action: KtAction;
  /** base64url Ed25519 public key of the device (its MLS signature key). */
  publicKey: string;
  /** ms since the Unix epoch, server time of the change. */
  time: number;
}

/** RFC 9162 §4.10-style signed tree head; byte strings base64url. */
export interface SignedTreeHead {
  treeSize: number;
  timestamp: number;
  rootHash: string;
  signature: string;
}

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

/** A field with a 4-byte length in front, so no two entries encode to the same bytes. */
function field(bytes: Uint8Array): Uint8Array {
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, bytes.length);
  return concat(len, bytes);
}

/** The leaf bytes of an entry (hashed as SHA-256(0x00 ‖ leaf), RFC 9162 §2.1.1). */
export function encodeKtEntry(e: KtEntry): Uint8Array {
  const publicKey = fromB64(e.publicKey);
  if (!publicKey) throw new RangeError("a key-transparency entry needs a base64url public key");
  return concat(LEAF_LABEL, field(utf8(e.accountId)), field(utf8(e.deviceId)), field(utf8(e.action)), field(publicKey), u64(e.time));
}

export function ktLeafHash(e: KtEntry): Uint8Array {
  return merkleLeafHash(encodeKtEntry(e));
}

/** The Merkle Tree Hash of the whole log; the empty log's is SHA-256() (RFC 9162 §2.1.1). */
export function ktRoot(entries: readonly KtEntry[]): Uint8Array {
  if (entries.length === 0) return sha256(new Uint8Array(0));
  return merkleRootOfLeafHashes(entries.map(ktLeafHash), merkleNodeHash);
}

/** What the head signature covers. */
export function treeHeadSignatureInput(treeSize: number, timestamp: number, rootHash: Uint8Array): Uint8Array {
  return concat(HEAD_LABEL, u64(treeSize), u64(timestamp), rootHash);
}

/** Ed25519 check of a head against the published log key. */
export function verifyTreeHead(publicKey: Uint8Array, head: SignedTreeHead): boolean {
  const root = b64Field(head, "rootHash");
  const signature = b64Field(head, "signature");
  if (!root || root.length !== 32 || !signature || !Number.isSafeInteger(head.treeSize) || !Number.isSafeInteger(head.timestamp)) return false;
  try {
    return ed25519.verify(signature, treeHeadSignatureInput(head.treeSize, head.timestamp, root), publicKey);
  } catch {
    return false;
  }
}

/**
 * A base64url field of a head or entry that came as JSON (from the server, or an auditor's copy): undefined
 * unless `value` is an object whose field is canonical base64url, so a malformed one fails the check
 * instead of throwing.
 */
function b64Field(value: unknown, name: string): Uint8Array | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const field = (value as Record<string, unknown>)[name];
  return typeof field === "string" ? fromB64(field) : undefined;
}

/** The leaf hash of an entry that came as JSON; undefined when a field has the wrong type. */
function entryLeafHash(e: KtEntry): Uint8Array | undefined {
  if (typeof e !== "object" || e === null) return undefined;
  const { accountId, deviceId, action } = e;
  if (typeof accountId !== "string" || typeof deviceId !== "string" || typeof action !== "string") return undefined;
  if (!Number.isSafeInteger(e.time) || b64Field(e, "publicKey") === undefined) return undefined;
  return ktLeafHash(e);
}

function decodePath(path: unknown): Uint8Array[] | undefined {
  if (!Array.isArray(path) || path.length > MAX_PATH) return undefined;
  const out: Uint8Array[] = [];
  for (const h of path) {
    const bytes = typeof h === "string" ? fromB64(h) : undefined;
    if (!bytes) return undefined;
    out.push(bytes);
  }
  return out;
}

/** RFC 9162 §2.1.3.2: is `entry` leaf `index` of the tree the (already verified) head names? */
export function verifyKtInclusion(head: SignedTreeHead, entry: KtEntry, index: number, path: unknown): boolean {
  const decoded = decodePath(path);
  const root = b64Field(head, "rootHash");
  const leaf = entryLeafHash(entry);
  if (!decoded || !root || !leaf) return false;
  const reached = merkleRootFromInclusionProof(leaf, index, head.treeSize, decoded);
  return reached !== undefined && constantTimeEqual(reached, root);
}

/** RFC 9162 §2.1.4.2: is the (verified) head `older` a prefix of the (verified) head `newer`? */
export function verifyKtConsistency(older: SignedTreeHead, newer: SignedTreeHead, proof: unknown): boolean {
  const decoded = decodePath(proof);
  const a = b64Field(older, "rootHash");
  const b = b64Field(newer, "rootHash");
  if (!decoded || !a || !b) return false;
  return verifyMerkleConsistency(older.treeSize, newer.treeSize, a, b, decoded);
}
