import Database from "better-sqlite3";
import type { KtAction, ServerFrank } from "@safelight/protocol";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { FileBlobStore, type BlobStore } from "../blobs/store.js";
import { applyMembership } from "./membership.js";
import { StorageError } from "./storageError.js";
import { bytes } from "./bytes.js";
import { GroupCommit } from "./groupCommit.js";
import { MIGRATIONS } from "./migrations.js";
import { SqliteDetectionStore, type DetectionStore } from "./detection.js";
import { SqliteModerationStore, type ModerationStore } from "./moderation.js";
import { SqliteSafetyStore, type SafetyStore } from "./safety.js";
import type {
  AccountRecord,
  AppendApplicationInput,
  AppendCommitInput,
  AppendCommitResult,
  BlobRecord,
  FrankingKeyRecord,
  KtEntryRecord,
  ClaimedKeyPackage,
  CreateAccountInput,
  CreateSessionInput,
  Delivery,
  DeviceRecord,
  DeviceRef,
  GroupRecord,
  LinkDeviceInput,
  MemberRecord,
  NewSession,
  QueueItemKind,
  QueueItemRecord,
  SessionRecord,
  Storage,
} from "./types.js";

type Db = Database.Database;

interface DeviceRow {
  device_id: string;
  account_id: string;
  signature_key: Buffer;
  created_at: number;
  revoked_at: number | null;
}

interface QueueRow {
  message_id: string;
  seq: number;
  kind: string;
  group_id: Buffer | null;
  sender_account: string | null;
  sender_device: string | null;
  sent_at: number;
  data: Buffer | null;
  frank: string | null;
}

interface NewMessage {
  id: string;
  kind: QueueItemKind;
  groupId?: Uint8Array;
  epoch?: number;
  sender?: DeviceRef;
  sentAt: number;
  data?: Uint8Array;
  frank?: ServerFrank;
}


const UNIQUE_CODES = new Set(["SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"]);

/**
 * A UNIQUE or PRIMARY KEY violation on exactly `columns` ("table.col[, table.col]"). The extended
 * result code says which kind of constraint failed; SQLite names the index only by its columns, in
 * the text after "constraint failed: ", so that list is compared whole (not searched for a substring).
 */
function isUniqueViolation(err: unknown, columns: string): boolean {
  if (!(err instanceof Database.SqliteError) || !UNIQUE_CODES.has(err.code)) return false;
  const at = err.message.indexOf(": ");
  return at >= 0 && err.message.slice(at + 2) === columns;
}

/** Opens `<dataDir>/safelight.db` in WAL mode and brings its schema up to date; blobs go in `<dataDir>/blobs`. */
export function openSqliteStorage(dataDir: string): Storage {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, "safelight.db"));
  // WAL + synchronous=NORMAL: a committed transaction is in the WAL file before the call returns, so
  // it survives a process crash (SIGKILL); only an OS crash/power loss can lose the last commits.
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return new SqliteStorage(db, new FileBlobStore(join(dataDir, "blobs")));
}

function migrate(db: Db): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

class SqliteStorage implements Storage {
  /** Prepared once per SQL text: preparing is a large share of a small query's cost. */
  private readonly statements = new Map<string, Database.Statement>();
  readonly moderation: ModerationStore;
  readonly safety: SafetyStore;
  readonly detection: DetectionStore;
  /** Application messages and acks: the two writes every message makes. */
  private readonly hotWrites: GroupCommit;
  /** Epoch and members of groups, read on every message. This class is the only writer of the group
   *  tables, so an entry changes only after one of its own transactions commits. */
  private readonly groupStates = new Map<string, GroupState>();

  constructor(
    private readonly db: Db,
    readonly blobs: BlobStore,
  ) {
    this.moderation = new SqliteModerationStore(db);
    this.safety = new SqliteSafetyStore(db, (event, deviceIds) => this.enqueue(event, deviceIds));
    this.detection = new SqliteDetectionStore(db);
    this.hotWrites = new GroupCommit(db);
  }

  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async putChallenge(challenge: string, expiresAt: number): Promise<void> {
    this.stmt("INSERT INTO challenges (challenge, expires_at) VALUES (?, ?)").run(challenge, expiresAt);
  }

  async createAccount(input: CreateAccountInput): Promise<void> {
    this.db.transaction(() => {
      this.consumeChallenge(input.challenge, input.now);
      try {
        this
          .stmt("INSERT INTO accounts (account_id, name, birthdate, created_at) VALUES (?, ?, ?, ?)")
          .run(input.accountId, input.name, input.birthdate, input.now);
      } catch (err) {
        if (isUniqueViolation(err, "accounts.name")) throw new StorageError({ kind: "name-taken" });
        throw err;
      }
      this.insertDevice({ accountId: input.accountId, deviceId: input.deviceId }, input.signatureKey, input.now);
      this.insertSession({ accountId: input.accountId, deviceId: input.deviceId }, input.session);
    })();
  }

  async createSession(input: CreateSessionInput): Promise<string> {
    return this.db.transaction(() => {
      this.consumeChallenge(input.challenge, input.now);
      const row = this.deviceRow(input.deviceId);
      if (row === undefined) throw new StorageError({ kind: "bad-proof" });
      this.insertSession({ accountId: row.account_id, deviceId: row.device_id }, input.session);
      return row.account_id;
    })();
  }

  async findSession(tokenHash: Uint8Array, now: number): Promise<SessionRecord | undefined> {
    const row = this
      .stmt("SELECT account_id, device_id, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?")
      .get(tokenHash, now) as { account_id: string; device_id: string; expires_at: number } | undefined;
    return row && { accountId: row.account_id, deviceId: row.device_id, expiresAt: row.expires_at };
  }

  async createLinkCode(codeHash: Uint8Array, owner: DeviceRef, expiresAt: number): Promise<void> {
    this
      .stmt("INSERT INTO link_codes (code_hash, account_id, device_id, expires_at) VALUES (?, ?, ?, ?)")
      .run(codeHash, owner.accountId, owner.deviceId, expiresAt);
  }

  async linkDevice(input: LinkDeviceInput): Promise<{ accountId: string; deliveries: Delivery[] }> {
    return this.db.transaction(() => {
      this.consumeChallenge(input.challenge, input.now);
      const code = this
        .stmt("DELETE FROM link_codes WHERE code_hash = ? AND expires_at > ? RETURNING account_id")
        .get(input.codeHash, input.now) as { account_id: string } | undefined;
      if (code === undefined) throw new StorageError({ kind: "bad-link-code" });
      const device = { accountId: code.account_id, deviceId: input.deviceId };
      const others = this.accountDevices(code.account_id).map((d) => d.device_id);
      this.insertDevice(device, input.signatureKey, input.now);
      this.insertSession(device, input.session);
      const deliveries = this.enqueue(
        { id: input.eventId, kind: "device-linked", sender: device, sentAt: input.now },
        others,
      );
      return { accountId: code.account_id, deliveries };
    })();
  }

  async getDevice(deviceId: string): Promise<DeviceRecord | undefined> {
    const row = this.deviceRow(deviceId);
    return row && toDevice(row);
  }

  async getAccountById(accountId: string): Promise<AccountRecord | undefined> {
    return this.account("account_id", accountId);
  }

  async getAccountByName(name: string): Promise<AccountRecord | undefined> {
    return this.account("name", name);
  }

  async revokeDevice(device: DeviceRef, now: number): Promise<DeviceRecord> {
    return this.db.transaction(() => {
      const row = this
        .stmt("UPDATE devices SET revoked_at = ? WHERE device_id = ? AND account_id = ? AND revoked_at IS NULL RETURNING *")
        .get(now, device.deviceId, device.accountId) as DeviceRow | undefined;
      if (row === undefined) throw new StorageError({ kind: "no-such-device" });
      for (const table of ["sessions", "key_packages", "queue", "link_codes"]) {
        this.stmt(`DELETE FROM ${table} WHERE device_id = ?`).run(device.deviceId);
      }
      this.appendKt(device, "revoke", row.signature_key, now);
      return toDevice(row);
    })();
  }

  async addKeyPackages(
    device: DeviceRef,
    oneTime: Uint8Array[],
    lastResort: Uint8Array | undefined,
  ): Promise<{ stored: number; available: number }> {
    return this.db.transaction(() => {
      const insert = this.stmt("INSERT INTO key_packages (device_id, last_resort, data) VALUES (?, ?, ?)");
      for (const kp of oneTime) insert.run(device.deviceId, 0, kp);
      if (lastResort !== undefined) {
        // A device has at most one last-resort package: the newest replaces the old one.
        this.stmt("DELETE FROM key_packages WHERE device_id = ? AND last_resort = 1").run(device.deviceId);
        insert.run(device.deviceId, 1, lastResort);
      }
      const stored = oneTime.length + (lastResort === undefined ? 0 : 1);
      return { stored, available: this.countOneTime(device.deviceId) };
    })();
  }

  async countKeyPackages(deviceId: string): Promise<{ available: number; lastResort: boolean }> {
    const lr = this
      .stmt("SELECT 1 FROM key_packages WHERE device_id = ? AND last_resort = 1 LIMIT 1")
      .get(deviceId);
    return { available: this.countOneTime(deviceId), lastResort: lr !== undefined };
  }

  async claimKeyPackages(accountId: string, excludeDeviceId: string | undefined): Promise<ClaimedKeyPackage[]> {
    return this.db.transaction(() => {
      const out: ClaimedKeyPackage[] = [];
      for (const d of this.accountDevices(accountId)) {
        if (d.device_id === excludeDeviceId) continue;
        // Oldest one-time package first, deleted in this transaction: handed out at most once.
        const oneTime = this
          .stmt(
            `DELETE FROM key_packages WHERE kp_id = (
               SELECT kp_id FROM key_packages WHERE device_id = ? AND last_resort = 0 ORDER BY kp_id LIMIT 1
             ) RETURNING data`,
          )
          .get(d.device_id) as { data: Buffer } | undefined;
        const row =
          oneTime ??
          (this
            .stmt("SELECT data FROM key_packages WHERE device_id = ? AND last_resort = 1 LIMIT 1")
            .get(d.device_id) as { data: Buffer } | undefined);
        if (row !== undefined) out.push({ accountId, deviceId: d.device_id, keyPackage: bytes(row.data) });
      }
      return out;
    })();
  }

  async createGroup(groupId: Uint8Array, creator: DeviceRef, now: number): Promise<void> {
    this.db.transaction(() => {
      try {
        this.stmt("INSERT INTO groups (group_id, epoch, created_at) VALUES (?, 0, ?)").run(groupId, now);
      } catch (err) {
        if (isUniqueViolation(err, "groups.group_id")) throw new StorageError({ kind: "group-exists" });
        throw err;
      }
      this.insertMember(groupId, { leaf: 0, ...creator });
    })();
  }

  async getGroup(groupId: Uint8Array): Promise<GroupRecord | undefined> {
    const state = this.groupState(groupId);
    return state && { groupId, epoch: state.epoch, members: [...state.members] };
  }

  async appendCommit(input: AppendCommitInput): Promise<AppendCommitResult> {
    const { result, state } = this.db.transaction(() => {
      const { members, committerLeaf } = this.checkSender(input.groupId, input.epoch, input.sender);
      // SL-V008 (RFC 9420 §6, §6.1): the commit's FramedContent.sender is the leaf of the device that posts it
      if (input.senderLeaf !== committerLeaf) {
        throw new StorageError({ kind: "commit-sender-mismatch" });
      }
      const next = applyMembership(members, committerLeaf, input.removes, input.adds);
      // SL-V009 (RFC 9420 §12.4.3.1): added members join only by the Welcome the commit comes with
      if (next.added.length > 0 && input.welcome === undefined) {
        throw new StorageError({ kind: "welcome-required" });
      }
      const newEpoch = input.epoch + 1;
      // SL-V007 (RFC 9420 §14): compare-and-set, so only the first commit for this epoch moves the group on.
      const moved = this
        .stmt("UPDATE groups SET epoch = ? WHERE group_id = ? AND epoch = ?")
        .run(newEpoch, input.groupId, input.epoch);
      if (moved.changes !== 1) {
        // Only if the table changed behind the cache's back: forget the entry and report what is stored.
        this.groupStates.delete(groupKey(input.groupId));
        throw new StorageError({ kind: "stale-epoch", currentEpoch: this.groupState(input.groupId)?.epoch ?? input.epoch });
      }
      for (const m of next.removed) {
        this.stmt("DELETE FROM group_members WHERE group_id = ? AND leaf = ?").run(input.groupId, m.leaf);
      }
      for (const m of next.added) this.insertMember(input.groupId, m);
      // Delivered to every member of the old epoch except the sender: removed members learn they are out.
      const recipients = members.filter((m) => m.deviceId !== input.sender.deviceId).map((m) => m.deviceId);
      const base = { groupId: input.groupId, epoch: input.epoch, sender: input.sender, sentAt: input.now };
      const deliveries = this.enqueue({ ...base, id: input.commitId, kind: "commit", data: input.commit }, recipients);
      if (input.welcome !== undefined && next.added.length > 0) {
        const welcome = { ...base, epoch: newEpoch, id: input.welcomeId, kind: "welcome" as const, data: input.welcome };
        const welcomed = next.added.filter((m) => !input.welcomeWithheldFrom?.has(m.accountId));
        deliveries.push(...this.enqueue(welcome, welcomed.map((m) => m.deviceId)));
      }
      return { result: { epoch: newEpoch, deliveries }, state: { epoch: newEpoch, members: next.members } };
    })();
    this.cacheGroup(groupKey(input.groupId), state);
    return result;
  }

  /** Group-committed (storage/groupCommit.ts): checked and written in one shared transaction per
   *  event-loop turn under load. */
  appendApplication(input: AppendApplicationInput): Promise<Delivery[]> {
    return this.hotWrites.submit(() => {
      const { members } = this.checkSender(input.groupId, input.epoch, input.sender);
      const frank = input.frank();
      return () => this.writeApplication(input, members, frank);
    });
  }

  private writeApplication(input: AppendApplicationInput, members: readonly MemberRecord[], frank: ServerFrank): Delivery[] {
    const recipients = members.filter((m) => m.deviceId !== input.sender.deviceId && !input.withheldFrom?.has(m.accountId));
    // Who received it, kept for the report window: a report is accepted only from a recipient.
    const record = this.stmt(
      "INSERT OR IGNORE INTO message_recipients (message_id, account_id, group_id, sent_at) VALUES (?, ?, ?, ?)",
    );
    for (const m of recipients) record.run(input.id, m.accountId, input.groupId, input.now);
    return this.enqueue(
      {
        id: input.id,
        kind: "application",
        groupId: input.groupId,
        epoch: input.epoch,
        sender: input.sender,
        sentAt: input.now,
        data: input.message,
        frank,
      },
      recipients.map((m) => m.deviceId),
    );
  }


  async listKtEntries(from: number, to: number): Promise<KtEntryRecord[]> {
    const rows = this
      .stmt("SELECT * FROM kt_log WHERE seq >= ? AND seq < ? ORDER BY seq")
      .all(from, to) as { seq: number; account_id: string; device_id: string; action: KtAction; public_key: Buffer; time: number }[];
    return rows.map((r) => ({ seq: r.seq, accountId: r.account_id, deviceId: r.device_id, action: r.action, publicKey: new Uint8Array(r.public_key), time: r.time }));
  }

  async ktLogSize(): Promise<number> {
    return (this.stmt("SELECT COUNT(*) AS n FROM kt_log").get() as { n: number }).n;
  }

  async listFrankingKeys(): Promise<FrankingKeyRecord[]> {
    const rows = this.stmt("SELECT * FROM franking_keys ORDER BY created_at DESC, key_id").all() as {
      key_id: string;
      hmac_key: Buffer;
      sign_key: Buffer;
      public_key: Buffer;
      created_at: number;
      retired_at: number | null;
    }[];
    return rows.map((r) => ({
      keyId: r.key_id,
      hmacKey: bytes(r.hmac_key),
      signKey: bytes(r.sign_key),
      publicKey: bytes(r.public_key),
      createdAt: r.created_at,
      retiredAt: r.retired_at ?? undefined,
    }));
  }

  async rotateFrankingKey(key: FrankingKeyRecord, staleBefore: number): Promise<boolean> {
    return this.db.transaction(() => {
      if (this.stmt("SELECT 1 FROM franking_keys WHERE retired_at IS NULL AND created_at >= ?").get(staleBefore)) return false;
      this.stmt("UPDATE franking_keys SET retired_at = ? WHERE retired_at IS NULL").run(key.createdAt);
      this.stmt(
        "INSERT INTO franking_keys (key_id, hmac_key, sign_key, public_key, created_at, retired_at) VALUES (?, ?, ?, ?, ?, NULL)",
      ).run(key.keyId, key.hmacKey, key.signKey, key.publicKey, key.createdAt);
      return true;
    })();
  }

  async wasDeliveredTo(messageId: string, accountId: string, groupId: Uint8Array): Promise<boolean> {
    return (
      this.stmt("SELECT 1 FROM message_recipients WHERE message_id = ? AND account_id = ? AND group_id = ?").get(
        messageId,
        accountId,
        groupId,
      ) !== undefined
    );
  }

  async listQueue(deviceId: string, limit: number): Promise<QueueItemRecord[]> {
    const rows = this
      .stmt(
        `SELECT q.message_id, q.seq, m.kind, m.group_id, m.sender_account, m.sender_device, m.sent_at, m.data, m.frank
         FROM queue q JOIN messages m ON m.message_id = q.message_id
         WHERE q.device_id = ? ORDER BY q.seq LIMIT ?`,
      )
      .all(deviceId, limit) as QueueRow[];
    return rows.map(toQueueItem);
  }

  ackQueue(deviceId: string, ids: string[]): Promise<number> {
    return this.hotWrites.submit(() => () => {
      const del = this.stmt("DELETE FROM queue WHERE device_id = ? AND message_id = ?");
      let removed = 0;
      for (const id of new Set(ids)) removed += del.run(deviceId, id).changes;
      return removed;
    });
  }

  async putBlob(blob: BlobRecord): Promise<void> {
    this
      .stmt("INSERT INTO blobs (blob_id, account_id, size, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
      .run(blob.blobId, blob.accountId, blob.size, blob.createdAt, blob.expiresAt);
  }

  async getBlob(blobId: string, now: number): Promise<BlobRecord | undefined> {
    const row = this
      .stmt("SELECT blob_id, account_id, size, created_at, expires_at FROM blobs WHERE blob_id = ? AND expires_at > ?")
      .get(blobId, now) as
      | { blob_id: string; account_id: string; size: number; created_at: number; expires_at: number }
      | undefined;
    return (
      row && {
        blobId: row.blob_id,
        accountId: row.account_id,
        size: row.size,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
      }
    );
  }

  async blobBytesHeld(accountId: string, now: number): Promise<number> {
    const row = this.stmt("SELECT COALESCE(SUM(size), 0) AS n FROM blobs WHERE account_id = ? AND expires_at > ?").get(accountId, now) as { n: number };
    return row.n;
  }

  async takeExpiredBlobs(now: number): Promise<string[]> {
    const rows = this.stmt("DELETE FROM blobs WHERE expires_at <= ? RETURNING blob_id").all(now) as {
      blob_id: string;
    }[];
    return rows.map((r) => r.blob_id);
  }

  async sweep(now: number, reportWindowStart: number): Promise<void> {
    this.db.transaction(() => {
      this.stmt("DELETE FROM challenges WHERE expires_at <= ?").run(now);
      this.stmt("DELETE FROM sessions WHERE expires_at <= ?").run(now);
      this.stmt("DELETE FROM link_codes WHERE expires_at <= ?").run(now);
      this.stmt("DELETE FROM queue WHERE device_id IN (SELECT device_id FROM devices WHERE revoked_at IS NOT NULL)").run();
      // Every recipient acknowledged: the payload is no longer needed.
      this.stmt("DELETE FROM messages WHERE message_id NOT IN (SELECT message_id FROM queue)").run();
      // Past the report window neither delivery records nor retired franking keys are needed.
      this.stmt("DELETE FROM message_recipients WHERE sent_at < ?").run(reportWindowStart);
      this.stmt("DELETE FROM franking_keys WHERE retired_at IS NOT NULL AND retired_at < ?").run(reportWindowStart);
    })();
  }

  readonly backend = "sqlite";

  async ping(): Promise<void> {
    this.db.prepare("SELECT 1").get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // --- helpers, all called inside the caller's transaction -------------------------------------

  private consumeChallenge(challenge: string, now: number): void {
    const used = this
      .stmt("DELETE FROM challenges WHERE challenge = ? AND expires_at > ?")
      .run(challenge, now);
    if (used.changes !== 1) throw new StorageError({ kind: "bad-challenge" });
  }

  private insertDevice(device: DeviceRef, signatureKey: Uint8Array, now: number): void {
    try {
      this
        .stmt("INSERT INTO devices (device_id, account_id, signature_key, created_at) VALUES (?, ?, ?, ?)")
        .run(device.deviceId, device.accountId, signatureKey, now);
    } catch (err) {
      if (isUniqueViolation(err, "devices.signature_key")) {
        throw new StorageError({ kind: "key-taken" });
      }
      throw err;
    }
    this.appendKt(device, "add", signatureKey, now);
  }

  private appendKt(device: DeviceRef, action: KtAction, publicKey: Uint8Array, now: number): void {
    // One writer at a time in SQLite: MAX(seq) + 1 inside this transaction is the next leaf.
    this
      .stmt(
        "INSERT INTO kt_log (seq, account_id, device_id, action, public_key, time) SELECT COALESCE(MAX(seq) + 1, 0), ?, ?, ?, ?, ? FROM kt_log",
      )
      .run(device.accountId, device.deviceId, action, publicKey, now);
  }

  private insertSession(device: DeviceRef, session: NewSession): void {
    this
      .stmt("INSERT INTO sessions (token_hash, account_id, device_id, expires_at) VALUES (?, ?, ?, ?)")
      .run(session.tokenHash, device.accountId, device.deviceId, session.expiresAt);
  }

  private deviceRow(deviceId: string): DeviceRow | undefined {
    return this
      .stmt("SELECT device_id, account_id, signature_key, created_at, revoked_at FROM devices WHERE device_id = ?")
      .get(deviceId) as DeviceRow | undefined;
  }

  private accountDevices(accountId: string): DeviceRow[] {
    return this
      .stmt(
        "SELECT device_id, account_id, signature_key, created_at, revoked_at FROM devices WHERE account_id = ? AND revoked_at IS NULL ORDER BY created_at, device_id",
      )
      .all(accountId) as DeviceRow[];
  }

  private account(column: "account_id" | "name", value: string): AccountRecord | undefined {
    const row = this
      .stmt(`SELECT account_id, name, birthdate, created_at FROM accounts WHERE ${column} = ?`)
      .get(value) as { account_id: string; name: string; birthdate: string; created_at: number } | undefined;
    if (row === undefined) return undefined;
    return {
      accountId: row.account_id,
      name: row.name,
      birthdate: row.birthdate,
      createdAt: row.created_at,
      devices: this.accountDevices(row.account_id).map(toDevice),
    };
  }

  private countOneTime(deviceId: string): number {
    const row = this
      .stmt("SELECT COUNT(*) AS n FROM key_packages WHERE device_id = ? AND last_resort = 0")
      .get(deviceId) as { n: number };
    return row.n;
  }

  /** Bounded: past GROUP_CACHE_MAX groups the cache starts over (entries are cheap to read again). */
  private cacheGroup(key: string, state: GroupState): void {
    if (this.groupStates.size >= GROUP_CACHE_MAX && !this.groupStates.has(key)) this.groupStates.clear();
    this.groupStates.set(key, state);
  }

  /** From the cache, or read once from the tables. */
  private groupState(groupId: Uint8Array): GroupState | undefined {
    const key = groupKey(groupId);
    const cached = this.groupStates.get(key);
    if (cached !== undefined) return cached;
    const row = this.stmt("SELECT epoch FROM groups WHERE group_id = ?").get(groupId) as { epoch: number } | undefined;
    if (row === undefined) return undefined;
    const rows = this
      .stmt("SELECT leaf, account_id, device_id FROM group_members WHERE group_id = ? ORDER BY leaf")
      .all(groupId) as { leaf: number; account_id: string; device_id: string }[];
    const state = { epoch: row.epoch, members: rows.map((r) => ({ leaf: r.leaf, accountId: r.account_id, deviceId: r.device_id })) };
    this.cacheGroup(key, state);
    return state;
  }

  private insertMember(groupId: Uint8Array, m: MemberRecord): void {
    this
      .stmt("INSERT INTO group_members (group_id, leaf, account_id, device_id) VALUES (?, ?, ?, ?)")
      .run(groupId, m.leaf, m.accountId, m.deviceId);
  }

  /** Group exists (404), caller is a member (403), epoch is current (409). */
  private checkSender(
    groupId: Uint8Array,
    epoch: number,
    sender: DeviceRef,
  ): { members: readonly MemberRecord[]; committerLeaf: number } {
    const group = this.groupState(groupId);
    if (group === undefined) throw new StorageError({ kind: "no-such-group" });
    const me = group.members.find((m) => m.deviceId === sender.deviceId);
    if (me === undefined) throw new StorageError({ kind: "not-member" });
    // SL-V007 (RFC 9420 §14): a commit or message is premised on the epoch it names; it must be the current one.
    if (epoch !== group.epoch) throw new StorageError({ kind: "stale-epoch", currentEpoch: group.epoch });
    return { members: group.members, committerLeaf: me.leaf };
  }

  /** Stores the message once and appends it to each recipient's queue with the next per-device seq. */
  private enqueue(msg: NewMessage, deviceIds: string[]): Delivery[] {
    // A message already stored (a resent application message: same id) is not queued again.
    const stored = this
      .stmt(
        `INSERT OR IGNORE INTO messages (message_id, kind, group_id, epoch, sender_account, sender_device, sent_at, data, frank)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        msg.id,
        msg.kind,
        msg.groupId ?? null,
        msg.epoch ?? null,
        msg.sender?.accountId ?? null,
        msg.sender?.deviceId ?? null,
        msg.sentAt,
        msg.data ?? null,
        msg.frank ? JSON.stringify(msg.frank) : null,
      );
    if (stored.changes === 0) return [];
    const bump = this.stmt("UPDATE devices SET queue_seq = queue_seq + 1 WHERE device_id = ? RETURNING queue_seq");
    const insert = this.stmt("INSERT INTO queue (device_id, seq, message_id) VALUES (?, ?, ?)");
    return deviceIds.map((deviceId) => {
      const { queue_seq: seq } = bump.get(deviceId) as { queue_seq: number };
      insert.run(deviceId, seq, msg.id);
      const item: QueueItemRecord = { id: msg.id, seq, kind: msg.kind, sentAt: msg.sentAt };
      if (msg.groupId !== undefined) item.groupId = msg.groupId;
      if (msg.sender !== undefined) item.sender = msg.sender;
      if (msg.data !== undefined) item.data = msg.data;
      if (msg.frank !== undefined) item.frank = msg.frank;
      return { deviceId, item };
    });
  }
}

const GROUP_CACHE_MAX = 100_000;

interface GroupState {
  readonly epoch: number;
  readonly members: readonly MemberRecord[];
}

const groupKey = (groupId: Uint8Array): string => Buffer.from(groupId.buffer, groupId.byteOffset, groupId.byteLength).toString("base64");


function toDevice(row: DeviceRow): DeviceRecord {
  const device: DeviceRecord = {
    accountId: row.account_id,
    deviceId: row.device_id,
    signatureKey: bytes(row.signature_key),
    createdAt: row.created_at,
  };
  if (row.revoked_at !== null) device.revokedAt = row.revoked_at;
  return device;
}

function toQueueItem(row: QueueRow): QueueItemRecord {
  const item: QueueItemRecord = { id: row.message_id, seq: row.seq, kind: row.kind as QueueItemKind, sentAt: row.sent_at };
  if (row.group_id !== null) item.groupId = bytes(row.group_id);
  if (row.sender_account !== null && row.sender_device !== null) {
    item.sender = { accountId: row.sender_account, deviceId: row.sender_device };
  }
  if (row.data !== null) item.data = bytes(row.data);
  if (row.frank !== null) item.frank = JSON.parse(row.frank) as ServerFrank;
  return item;
}
