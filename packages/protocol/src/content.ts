/**
 * The application content carried inside MLS PrivateMessages. Only group members ever see it: the
 * server handles it solely as MLS ciphertext. Encoded as UTF-8 JSON with a version number; decoding is
 * total (returns undefined for anything malformed) because it is attacker-controlled input, and also for a
 * type it does not know, so a client drops a newer client's control kinds (docs/protocol.md, Content).
 */

import { fromB64, toB64 } from "./base64.js";
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
  /** `id` is the message's reference (newMessageRef): chosen by the sender inside the ciphertext, so every
   *  member agrees on it and the server cannot point it at another message. `replyTo` is a reply's target. */
  | { v: 1; type: "text"; salt: string; text: string; sentAt: number; files?: FileRef[]; id?: string; replyTo?: string }
  /** Conversation metadata (kind, title): group state, so it travels end-to-end encrypted like any
   *  message. Sent after every commit that adds members, so newcomers learn it. */
  | { v: 1; type: "meta"; salt: string; kind: ConversationKind; title: string; sentAt: number }
  /** The messages (by reference) that reached a device of the sender, or that it showed. */
  | { v: 1; type: "receipt"; salt: string; kind: ReceiptKind; ids: string[]; sentAt: number }
  /** The sender started (`on`) or stopped typing; never stored. */
  | { v: 1; type: "typing"; salt: string; on: boolean; sentAt: number }
  /** One emoji on a message (by reference), or taking it back (`remove`). */
  | { v: 1; type: "reaction"; salt: string; target: string; emoji: string; remove?: true; sentAt: number }
  /** The conversation's disappearing-messages timer, in seconds; 0 turns it off (docs/messaging.md). */
  | { v: 1; type: "timer"; salt: string; seconds: TimerSeconds; sentAt: number };

export type ConversationKind = "direct" | "group";
export type ReceiptKind = "delivered" | "read";

/** The timer settings a client offers: off, 5 minutes, 1 hour, 1 day, 1 week. Anything else is dropped,
 *  so a member cannot set a timer other clients do not show. */
export const TIMER_SECONDS = [0, 300, 3600, 86400, 604800] as const;
export type TimerSeconds = (typeof TIMER_SECONDS)[number];

export function isTimerSeconds(x: unknown): x is TimerSeconds {
  return (TIMER_SECONDS as readonly unknown[]).includes(x);
}

export const MAX_TEXT_CHARS = 64 * 1024;
const MAX_FILES = 16;
/** Receipts for more messages than this are split (one sync rarely delivers more). */
export const MAX_RECEIPT_IDS = 256;
export const MESSAGE_REF_BYTES = 16;
/** Exactly one emoji as Unicode lists them (UTS #51 RGI_Emoji): no text smuggled in as a "reaction". The
 *  `v` flag is built at run time because TypeScript's ES2022 target rejects it in a literal. */
const ONE_EMOJI = new RegExp("^\\p{RGI_Emoji}$", "v");

/** A fresh message reference: 128 random bits, base64url. */
export function newMessageRef(): string {
  return toB64(globalThis.crypto.getRandomValues(new Uint8Array(MESSAGE_REF_BYTES)));
}

export function isMessageRef(x: unknown): x is string {
  if (typeof x !== "string") return false;
  const bytes = fromB64(x);
  return bytes !== undefined && bytes.length === MESSAGE_REF_BYTES;
}

export function isReactionEmoji(x: unknown): x is string {
  return typeof x === "string" && x.length <= 32 && ONE_EMOJI.test(x);
}

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
  switch (c.type) {
    case "text":
      return decodeText(c, common);
    case "meta":
      return (c.kind === "direct" || c.kind === "group") && isString(c.title, 256)
        ? { ...common, type: "meta", kind: c.kind, title: c.title }
        : undefined;
    case "receipt":
      return (c.kind === "delivered" || c.kind === "read") &&
        Array.isArray(c.ids) &&
        c.ids.length > 0 &&
        c.ids.length <= MAX_RECEIPT_IDS &&
        c.ids.every(isMessageRef)
        ? { ...common, type: "receipt", kind: c.kind, ids: c.ids }
        : undefined;
    case "typing":
      return typeof c.on === "boolean" ? { ...common, type: "typing", on: c.on } : undefined;
    case "reaction":
      if (!isMessageRef(c.target) || !isReactionEmoji(c.emoji) || (c.remove !== undefined && c.remove !== true)) return undefined;
      return { ...common, type: "reaction", target: c.target, emoji: c.emoji, ...(c.remove ? { remove: true as const } : {}) };
    case "timer":
      return isTimerSeconds(c.seconds) ? { ...common, type: "timer", seconds: c.seconds } : undefined;
    default:
      return undefined;
  }
}

function decodeText(c: Record<string, unknown>, common: { v: 1; salt: string; sentAt: number }): AppContent | undefined {
  if (!isString(c.text, MAX_TEXT_CHARS)) return undefined;
  if (c.id !== undefined && !isMessageRef(c.id)) return undefined;
  if (c.replyTo !== undefined && !isMessageRef(c.replyTo)) return undefined;
  if (c.files !== undefined && (!Array.isArray(c.files) || c.files.length > MAX_FILES || !c.files.every(isFileRef))) return undefined;
  return {
    ...common,
    type: "text",
    text: c.text,
    ...(c.files !== undefined ? { files: c.files as FileRef[] } : {}),
    ...(c.id !== undefined ? { id: c.id } : {}),
    ...(c.replyTo !== undefined ? { replyTo: c.replyTo } : {}),
  };
}
