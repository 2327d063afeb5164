/**
 * The application content carried inside MLS PrivateMessages. Only group members ever see it: the
 * server handles it solely as MLS ciphertext. Encoded as UTF-8 JSON with a version number; decoding is
 * total (returns undefined for anything malformed) because it is attacker-controlled input.
 */

import { fromB64 } from "./base64.js";
import { FRANKING_SALT_BYTES } from "./franking.js";

export interface FileRef {
  blobId: string;
  /** base64url file key (docs/attachments.md). */
  key: string;
  /** base64url SHA-256 of the uploaded ciphertext. */
  digest: string;
  name: string;
  size: number;
  type: string;
}

/** Every content carries `salt`, the franking key for this message (docs/franking.md), base64url. */
export type AppContent =
  | { v: 1; type: "text"; salt: string; text: string; sentAt: number; files?: FileRef[] }
  /** Conversation metadata (kind, title): group state, so it travels end-to-end encrypted like any
   *  message. Sent after every commit that adds members, so newcomers learn it. */
  | { v: 1; type: "meta"; salt: string; kind: ConversationKind; title: string; sentAt: number };

export type ConversationKind = "direct" | "group";

export const MAX_TEXT_CHARS = 64 * 1024;
const MAX_FILES = 16;

export function encodeContent(content: AppContent): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(content));
}

function isString(x: unknown, max: number): x is string {
  return typeof x === "string" && x.length <= max;
}

function isSalt(x: unknown): x is string {
  if (typeof x !== "string") return false;
  const bytes = fromB64(x);
  return bytes !== undefined && bytes.length === FRANKING_SALT_BYTES;
}

function isFileRef(x: unknown): x is FileRef {
  if (typeof x !== "object" || x === null) return false;
  const f = x as Record<string, unknown>;
  return (
    isString(f.blobId, 128) &&
    isString(f.key, 128) &&
    isString(f.digest, 128) &&
    isString(f.name, 255) &&
    isString(f.type, 255) &&
    Number.isSafeInteger(f.size) &&
    (f.size as number) >= 0
  );
}

export function decodeContent(bytes: Uint8Array): AppContent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const c = value as Record<string, unknown>;
  if (c.v !== 1 || !Number.isSafeInteger(c.sentAt) || !isSalt(c.salt)) return undefined;
  const common = { v: 1 as const, salt: c.salt, sentAt: c.sentAt as number };
  if (c.type === "text" && isString(c.text, MAX_TEXT_CHARS)) {
    if (c.files === undefined) return { ...common, type: "text", text: c.text };
    if (!Array.isArray(c.files) || c.files.length > MAX_FILES || !c.files.every(isFileRef)) return undefined;
    return { ...common, type: "text", text: c.text, files: c.files };
  }
  if (c.type === "meta" && (c.kind === "direct" || c.kind === "group") && isString(c.title, 256)) {
    return { ...common, type: "meta", kind: c.kind, title: c.title };
  }
  return undefined;
}
