import type { KtAction, ServerFrank } from "@safelight/protocol";
import type { BlobStore } from "../blobs/store.js";
import type { DetectionStore } from "./detection.js";
import type { ModerationStore } from "./moderation.js";
import type { SafetyStore } from "./safety.js";

/**
 * The one data-access interface. Every method that changes more than one row runs as a single
 * transaction in the implementation, so a crash never leaves half an operation behind.
 * Methods are async so a networked database (PostgreSQL) can implement the same interface.
 */

export interface DeviceRef {
  accountId: string;
  deviceId: string;
}

export interface DeviceRecord extends DeviceRef {
  signatureKey: Uint8Array;
  createdAt: number;
  /** When the account removed it: such a device is never served, and cannot log in or upload. */
  revokedAt?: number;
}

export interface AccountRecord {
  accountId: string;
  name: string;
  birthdate: string;
  createdAt: number;
  devices: DeviceRecord[];
}

export interface SessionRecord extends DeviceRef {
  expiresAt: number;
}

export type QueueItemKind = "commit" | "welcome" | "application" | "device-linked" | "safety-notice";

export interface QueueItemRecord {
  id: string;
  seq: number;
  kind: QueueItemKind;
  groupId?: Uint8Array;
  sender?: DeviceRef;
  sentAt: number;
  data?: Uint8Array;
  /** The server's franking stamp on application messages (docs/franking.md). */
  frank?: ServerFrank;
}

/** One queue append, reported after commit so connected sockets can be notified. */
export interface Delivery {
  deviceId: string;
  item: QueueItemRecord;
}

export interface MemberRecord extends DeviceRef {
  leaf: number;
}

export interface GroupRecord {
  groupId: Uint8Array;
  epoch: number;
  members: MemberRecord[];
}

export interface NewSession {
  tokenHash: Uint8Array;
  expiresAt: number;
}

export interface CreateAccountInput {
  challenge: string;
  now: number;
  accountId: string;
  name: string;
  birthdate: string;
  deviceId: string;
  signatureKey: Uint8Array;
  session: NewSession;
}

export interface CreateSessionInput {
  challenge: string;
  now: number;
  deviceId: string;
  session: NewSession;
}

export interface LinkDeviceInput {
  challenge: string;
  codeHash: Uint8Array;
  now: number;
  deviceId: string;
  signatureKey: Uint8Array;
  session: NewSession;
  /** Message id of the `device-linked` event put in the account's other devices' queues. */
  eventId: string;
}

export interface ClaimedKeyPackage extends DeviceRef {
  keyPackage: Uint8Array;
}

export interface AppendCommitInput {
  groupId: Uint8Array;
  /** The epoch the commit was created in: must equal the stored epoch (compare-and-set). */
  epoch: number;
  sender: DeviceRef;
  senderLeaf: number;
  removes: number[];
  adds: DeviceRef[];
  commit: Uint8Array;
  welcome: Uint8Array | undefined;
  commitId: string;
  welcomeId: string;
  now: number;
  /** Added accounts whose welcome is withheld: they blocked the committer (docs/safety.md). */
  welcomeWithheldFrom?: ReadonlySet<string>;
}

export interface AppendCommitResult {
  epoch: number;
  deliveries: Delivery[];
}

export interface AppendApplicationInput {
  groupId: Uint8Array;
  epoch: number;
  sender: DeviceRef;
  message: Uint8Array;
  id: string;
  now: number;
  /** The message's franking stamp, asked for when the message is checked for writing: franking batches
   *  are signed then, in the same event-loop turn (FrankingService.reserve, docs/franking.md). May throw,
   *  which refuses this message alone. */
  frank: () => ServerFrank;
  /** Member accounts that must not receive it: they blocked the sender or declined its request (docs/safety.md). */
  withheldFrom?: ReadonlySet<string>;
}

export interface FrankingKeyRecord {
  keyId: string;
  hmacKey: Uint8Array;
  signKey: Uint8Array;
  publicKey: Uint8Array;
  createdAt: number;
  retiredAt: number | undefined;
}

/** One key-transparency log entry (docs/key-transparency.md); `seq` is its 0-based leaf index. */
export interface KtEntryRecord {
  seq: number;
  accountId: string;
  deviceId: string;
  action: KtAction;
  publicKey: Uint8Array;
  time: number;
}

export interface BlobRecord {
  blobId: string;
  accountId: string;
  size: number;
  createdAt: number;
  expiresAt: number;
}

export interface Storage {
  /** Reports, decisions, roles and the audit log (storage/moderation.ts). */
  readonly moderation: ModerationStore;
  /** Attachment bytes: files beside SQLite, rows in PostgreSQL (every node serves every blob). */
  readonly blobs: BlobStore;
  /** Message requests, blocks, risk events and actions, safety notices (storage/safety.ts). */
  readonly safety: SafetyStore;
  /** Hash lists, pictures, evidence, detection items and authority reports (storage/detection.ts). */
  readonly detection: DetectionStore;

  putChallenge(challenge: string, expiresAt: number): Promise<void>;
  /** Consumes the challenge, creates account + first device + session. */
  createAccount(input: CreateAccountInput): Promise<void>;
  /** Consumes the challenge and creates a session for an existing device; returns its account. */
  createSession(input: CreateSessionInput): Promise<string>;
  findSession(tokenHash: Uint8Array, now: number): Promise<SessionRecord | undefined>;
  createLinkCode(codeHash: Uint8Array, owner: DeviceRef, expiresAt: number): Promise<void>;
  /** Consumes code + challenge, creates the device and session, queues `device-linked`. */
  linkDevice(input: LinkDeviceInput): Promise<{ accountId: string; deliveries: Delivery[] }>;

  /** Any device ever registered, a removed one with `revokedAt`. */
  getDevice(deviceId: string): Promise<DeviceRecord | undefined>;
  /** The account with its current devices (removed ones left out). */
  getAccountById(accountId: string): Promise<AccountRecord | undefined>;
  getAccountByName(name: string): Promise<AccountRecord | undefined>;
  /** Removes a current device of the account, in one transaction: marks it revoked, ends its sessions,
   *  drops its KeyPackages, queue and link codes, and appends its `revoke` entry to the key-transparency
   *  log. `no-such-device` unless it is a current device of that account. */
  revokeDevice(device: DeviceRef, now: number): Promise<DeviceRecord>;

  addKeyPackages(
    device: DeviceRef,
    oneTime: Uint8Array[],
    lastResort: Uint8Array | undefined,
  ): Promise<{ stored: number; available: number }>;
  countKeyPackages(deviceId: string): Promise<{ available: number; lastResort: boolean }>;
  /** One package per device of the account: a one-time one (claimed and deleted), else last resort. */
  claimKeyPackages(accountId: string, excludeDeviceId: string | undefined): Promise<ClaimedKeyPackage[]>;

  createGroup(groupId: Uint8Array, creator: DeviceRef, now: number): Promise<void>;
  getGroup(groupId: Uint8Array): Promise<GroupRecord | undefined>;
  /** Compare-and-set on epoch + membership change + commit/welcome fan-out, atomically. */
  appendCommit(input: AppendCommitInput): Promise<AppendCommitResult>;
  appendApplication(input: AppendApplicationInput): Promise<Delivery[]>;

  /** Key-transparency log entries with from ≤ seq < to, in order; every device insert appends one in
   *  its own transaction. */
  listKtEntries(from: number, to: number): Promise<KtEntryRecord[]>;
  ktLogSize(): Promise<number>;

  /** Franking keys, newest first. */
  listFrankingKeys(): Promise<FrankingKeyRecord[]>;
  /** Adds `key` and retires the active one, atomically, unless an active key created at or after
   *  `staleBefore` exists (another node rotated first): then nothing changes and it returns false. */
  rotateFrankingKey(key: FrankingKeyRecord, staleBefore: number): Promise<boolean>;
  /** Whether the account had a device the message was delivered to (the report membership check). */
  wasDeliveredTo(messageId: string, accountId: string, groupId: Uint8Array): Promise<boolean>;

  listQueue(deviceId: string, limit: number): Promise<QueueItemRecord[]>;
  ackQueue(deviceId: string, ids: string[]): Promise<number>;

  putBlob(blob: BlobRecord): Promise<void>;
  getBlob(blobId: string, now: number): Promise<BlobRecord | undefined>;
  /** Bytes of the account's blobs that have not expired (the upload quota, limits.blobQuotaBytes). */
  blobBytesHeld(accountId: string, now: number): Promise<number>;
  /** Removes and returns blob records that expired; the caller deletes their bytes from `blobs`. */
  takeExpiredBlobs(now: number): Promise<string[]>;
  /** Drops expired challenges, sessions, link codes and orphaned messages, queue rows of removed devices
   *  (queued to them until the account's MLS Removes land), and delivery records and
   *  retired franking keys from before the report window. */
  sweep(now: number, reportWindowStart: number): Promise<void>;

  /** Names the engine, for /healthz. */
  readonly backend: "sqlite" | "postgres";
  /** Resolves when the database answers a trivial query; rejects while it is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
