/** The types of the client session's public surface, re-exported by the facade (client.ts). */
import type { ConversationKind, CryptoProvider, ReceiptKind, TimerSeconds } from "@safelight/protocol";
import type { ClientStore, SavedFile, StoredMessage } from "../store/types.js";

export interface OutgoingFile {
  name: string;
  type: string;
  bytes: Uint8Array;
}

/** Where decrypted attachments go; returns the path (or key) they were saved under. */
export type FileSink = (messageId: string, name: string, bytes: Uint8Array) => Promise<string>;

export interface ReceivedMessage {
  id: string;
  conversation: string;
  kind: ConversationKind;
  title: string;
  from: string;
  fromAccountId: string;
  fromDeviceId: string;
  text: string;
  sentAt: number;
  files: SavedFile[];
  /** Part of a message request this account has not accepted (docs/safety.md). */
  request?: boolean;
  /** A reply: the id of the message it answers, when this device has that message. */
  replyTo?: string;
}

/** Receipts, reactions and typing from another member (docs/messaging.md); message ids are history's. */
export type ConversationEvent = { conversation: string; from: string; fromAccountId: string; sentAt: number } & (
  | { type: "typing"; on: boolean }
  | { type: "receipt"; kind: ReceiptKind; messageIds: string[] }
  | { type: "reaction"; messageId: string | undefined; emoji: string; remove: boolean }
  | { type: "timer"; seconds: TimerSeconds }
);

/** A stored message as history shows it, with the receipts and reactions that name it folded in. */
export interface HistoryMessage extends StoredMessage {
  /** A reply: the id of the message it answers, when this device has that message. */
  replyToId?: string;
  /** Each emoji with the accounts that currently react with it, in the order first reacted. */
  reactions: { emoji: string; accountIds: string[] }[];
  /** This account's messages: "sent" (stored by the server), "delivered" to a device of every other member,
   *  or "read" by every other member (never "read" with read receipts off). */
  status?: MessageStatus;
  /** Set on a timeline entry that records a member setting the disappearing-messages timer (docs/messaging.md):
   *  the sender fields name who set it, text is empty. */
  timer?: TimerSeconds;
}

export type MessageStatus = "sent" | "delivered" | "read";

export interface SendOptions {
  /** Reply to this message (an id from history). */
  replyTo?: string;
}

export interface ClientOptions {
  store: ClientStore;
  fileSink?: FileSink;
  provider?: CryptoProvider;
  /** Told about queue items that were dropped because they failed MLS or content checks. */
  warn?: (message: string) => void;
  /** The clock disappearing messages expire by (docs/messaging.md); Date.now when absent. */
  now?: () => number;
}

export interface ConversationSummary {
  id: string;
  kind: ConversationKind;
  title: string;
  active: boolean;
  members: string[];
}
