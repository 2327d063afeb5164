/**
 * What a client keeps on its device. Implementations: SQLite file per profile (Node), IndexedDB (browser).
 * Every method is one atomic unit, so an interrupted sync never half-applies a message.
 */
import type { ConversationKind, ReceiptKind, ServerFrank, SignedTreeHead, TimerSeconds } from "@safelight/protocol";

export interface Profile {
  serverUrl: string;
  accountId: string;
  deviceId: string;
  name: string;
  token: string;
  tokenExpiresAt: number;
  /** Ed25519 seed and public key of this device. */
  signKey: Uint8Array;
  publicKey: Uint8Array;
  /** false: this device sends no read receipts and shows none (docs/messaging.md). Absent means on. */
  readReceipts?: boolean;
  /** Whom this device sends typing indicators to (docs/messaging.md). Absent: the age band's default,
   *  "everyone" for adults, "contacts" for teens. */
  typingIndicators?: TypingIndicators;
}

/** "contacts": only in conversations where every other member is a contact. */
export type TypingIndicators = "everyone" | "contacts" | "off";

export interface StoredKeyPackage {
  /** base64url KeyPackageRef. */
  ref: string;
  keyPackage: Uint8Array;
  privateKeyPackage: Uint8Array;
  lastResort: boolean;
}

export interface StoredGroup {
  groupId: string;
  kind: ConversationKind;
  title: string;
  /** For direct conversations: the other account. */
  peerAccountId: string | undefined;
  state: Uint8Array;
  active: boolean;
  updatedAt: number;
}

export interface SavedFile {
  name: string;
  /** Where the decrypted file was saved; empty when it was not (see error). */
  path: string;
  size: number;
  type: string;
  error?: string;
}

export interface StoredMessage {
  id: string;
  groupId: string;
  senderAccountId: string;
  senderDeviceId: string;
  text: string;
  sentAt: number;
  receivedAt: number;
  files: SavedFile[];
  outgoing: boolean;
  /** Received messages: the exact decrypted content bytes and the server's stamp, kept so the message
   *  can be reported verifiably (docs/franking.md). */
  content?: Uint8Array;
  frank?: ServerFrank;
  /** Set on a timeline entry that records a device joining or leaving the conversation's MLS roster
   *  (docs/safety-numbers.md, "Device changes"): the sender fields name that device, text is empty. */
  device?: "added" | "removed";
  /** The message's content-level reference (docs/protocol.md, Application content); absent on messages from
   *  clients that predate it. */
  ref?: string;
  /** A reply: the reference of the message it answers. */
  replyTo?: string;
}

/** A receipt or reaction (docs/messaging.md): kept, and folded into the messages it names when history is
 *  read; or a disappearing-messages timer, whose latest one is the conversation's setting. */
export type StoredControl =
  | { type: "receipt"; kind: ReceiptKind; ids: string[] }
  | { type: "reaction"; target: string; emoji: string; remove?: true }
  | { type: "timer"; seconds: TimerSeconds };

export interface StoredEvent {
  /** The server's id of the message that carried it. */
  id: string;
  groupId: string;
  senderAccountId: string;
  sentAt: number;
  control: StoredControl;
}

export interface KnownAccount {
  accountId: string;
  name: string;
  devices: { deviceId: string; signatureKey: string }[];
}

/** What this device knows of the key-transparency log (docs/key-transparency.md). */
export interface KtState {
  /** The newest verified signed head seen; every later head must be consistent with it. */
  head: (SignedTreeHead & { keyId: string }) | undefined;
  /** Monitoring: entries [0, checked) are read and matched a signed head; `frontier` is their compact
   *  range (base64url subtree hashes, merkleFrontierAppend). */
  checked: number;
  frontier: string[];
  /** Whether this device's own `add` entry has been read (entries before it are the account's devices
   *  at the time it joined). */
  seenSelf: boolean;
  /** This account's devices (`deviceId:publicKey`) this device accepts: itself, the devices there when
   *  it joined, those it linked. */
  known: string[];
  /** Expiry times of link codes this device issued that no new device has used yet. */
  pendingLinks: number[];
}

/** A contact this account verified by comparing safety numbers (docs/safety-numbers.md). */
export interface Verification {
  accountId: string;
  /** base64url device-set encoding of the contact's devices when verified; a different current set
   *  means the contact's devices changed since. */
  deviceSet: string;
  verifiedAt: number;
}

/** An outgoing text held, not encrypted, in a "verified contacts only" conversation (docs/safety-numbers.md). */
export interface HeldMessage {
  id: string;
  groupId: string;
  text: string;
  heldAt: number;
}

/** The effects of processing one queue item, written together with its id (for de-duplication). */
export interface IncomingChange {
  itemId: string;
  group?: StoredGroup;
  message?: StoredMessage;
  /** Device changes the item's commit made to the roster, as timeline entries. */
  deviceChanges?: StoredMessage[];
  event?: StoredEvent;
  consumedKeyPackageRef?: string;
}

export interface ClientStore {
  getProfile(): Promise<Profile | undefined>;
  saveProfile(profile: Profile): Promise<void>;

  putKeyPackages(list: StoredKeyPackage[]): Promise<void>;
  getKeyPackage(ref: string): Promise<StoredKeyPackage | undefined>;

  getGroup(groupId: string): Promise<StoredGroup | undefined>;
  listGroups(): Promise<StoredGroup[]>;
  findDirect(peerAccountId: string): Promise<StoredGroup | undefined>;
  saveGroup(group: StoredGroup): Promise<void>;

  saveAccount(account: KnownAccount): Promise<void>;
  getAccount(accountId: string): Promise<KnownAccount | undefined>;

  getKtState(): Promise<KtState | undefined>;
  saveKtState(state: KtState): Promise<void>;
  saveVerification(v: Verification): Promise<void>;
  getVerification(accountId: string): Promise<Verification | undefined>;

  setVerifiedOnly(groupId: string, on: boolean): Promise<void>;
  isVerifiedOnly(groupId: string): Promise<boolean>;
  holdMessage(message: HeldMessage): Promise<void>;
  /** Oldest first. */
  listHeld(groupId: string): Promise<HeldMessage[]>;
  deleteHeld(id: string): Promise<void>;

  isProcessed(itemId: string): Promise<boolean>;
  applyIncoming(change: IncomingChange): Promise<void>;
  saveOutgoing(message: StoredMessage, group: StoredGroup): Promise<void>;
  getMessage(id: string): Promise<StoredMessage | undefined>;
  /** Replaces a stored message's attachment list (attachments fetched after a request was accepted). */
  updateMessageFiles(id: string, files: SavedFile[]): Promise<void>;
  /** Oldest first. */
  listMessages(groupId?: string): Promise<StoredMessage[]>;
  /** Deletes that conversation's messages sent before `t` (disappearing messages); returns how many. */
  deleteMessagesBefore(groupId: string, t: number): Promise<number>;
  /** The message of that conversation with that content-level reference. */
  findByRef(groupId: string, ref: string): Promise<StoredMessage | undefined>;
  /** A receipt, reaction or timer this device sent (received ones come with applyIncoming). */
  saveEvent(event: StoredEvent): Promise<void>;
  /** Oldest first. */
  listEvents(groupId?: string): Promise<StoredEvent[]>;

  close(): Promise<void>;
}
