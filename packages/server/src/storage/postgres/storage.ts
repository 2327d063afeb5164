/**
 * The PostgreSQL implementation of Storage, for several server nodes on one database. Every rule that
 * must hold across nodes is enforced by the database in the writing transaction: the epoch
 * compare-and-set under a row lock, KeyPackages claimed with SKIP LOCKED, queue rows unique per
 * (device, message), per-device sequence numbers from a row update.
 */
import type { KtAction, ServerFrank } from "@safelight/protocol";
import { applyMembership } from "../membership.js";
import { StorageError } from "../storageError.js";
import { bytes } from "../bytes.js";
import type { DetectionStore } from "../detection.js";
import type { ModerationStore } from "../moderation.js";
import type { BlobStore } from "../../blobs/store.js";
import { PgBlobStore } from "./blobs.js";
import { PgDetectionStore } from "./detection.js";
import { PgModerationStore } from "./moderation.js";
import type { SafetyStore } from "../safety.js";
import { PgSafetyStore } from "./safety.js";
import type {
  AccountRecord,
  AppendApplicationInput,
  AppendCommitInput,
  AppendCommitResult,
  BlobRecord,
  ClaimedKeyPackage,
  CreateAccountInput,
  CreateSessionInput,
  Delivery,
  DeviceRecord,
  DeviceRef,
  FrankingKeyRecord,
  KtEntryRecord,
  GroupRecord,
  LinkDeviceInput,
  MemberRecord,
  NewSession,
  QueueItemKind,
  QueueItemRecord,
  SessionRecord,
  Storage,
} from "../types.js";
import { migratePg } from "./migrations.js";
import { inTransaction, isUniqueViolation, ms, openPool, ts, type Client, type Pool, type PoolOptions } from "./pool.js";

type Queryable = Pool | Client;

interface DeviceRow {
  device_id: string;
  account_id: string;
  signature_key: Buffer;
  created_at: Date;
  revoked_at: Date | null;
}

interface QueueRow {
  message_id: string;
  seq: number;
  kind: string;
  group_id: Buffer | null;
  sender_account: string | null;
  sender_device: string | null;
  sent_at: Date;
  data: Buffer | null;
  frank: ServerFrank | null;
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

interface GroupState {
  readonly epoch: number;
  readonly members: readonly MemberRecord[];
}

/** Opens a pool on `url`, brings the schema up to date and returns the storage. */
export async function openPostgresStorage(
  url: string,
  options: PoolOptions = {},
): Promise<Storage & { readonly pool: Pool }> {
  const pool = openPool(url, options);
  try {
    await migratePg(pool, options.schema ?? "public");
  } catch (err) {
    await pool.end();
    throw err;
  }
  return new PgStorage(pool);
}

const GROUP_CACHE_MAX = 100_000;
/** Names the franking-rotation lock (pg_advisory_xact_lock takes a bigint). */
const FRANKING_LOCK = 0x5afe_f4a2;

class PgStorage implements Storage {
  /** Members of groups by epoch. Safe to be stale: membership changes only together with the epoch
   *  (appendCommit), and every use first reads the epoch in its own transaction, so an entry for an
   *  older epoch is never used. */
  private readonly members = new Map<string, GroupState>();

  readonly moderation: ModerationStore;
  readonly blobs: BlobStore;
  readonly safety: SafetyStore;
  readonly detection: DetectionStore;

  constructor(readonly pool: Pool) {
    this.moderation = new PgModerationStore(pool);
    this.blobs = new PgBlobStore(pool);
    this.safety = new PgSafetyStore(pool, enqueue);
    this.detection = new PgDetectionStore(pool);
  }

  async putChallenge(challenge: string, expiresAt: number): Promise<void> {
    await this.pool.query("INSERT INTO challenges (challenge, expires_at) VALUES ($1, $2)", [challenge, ts(expiresAt)]);
  }

  async createAccount(input: CreateAccountInput): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await consumeChallenge(c, input.challenge, input.now);
      try {
        await c.query("INSERT INTO accounts (account_id, name, birthdate, created_at) VALUES ($1, $2, $3, $4)", [
          input.accountId,
          input.name,
          input.birthdate,
          ts(input.now),
        ]);
      } catch (err) {
        if (isUniqueViolation(err, "accounts_name_key")) throw new StorageError({ kind: "name-taken" });
        throw err;
      }
      const device = { accountId: input.accountId, deviceId: input.deviceId };
      await insertDevice(c, device, input.signatureKey, input.now);
      await insertSession(c, device, input.session);
    });
  }

  async createSession(input: CreateSessionInput): Promise<string> {
    return inTransaction(this.pool, async (c) => {
      await consumeChallenge(c, input.challenge, input.now);
      const row = await deviceRow(c, input.deviceId);
      if (row === undefined) throw new StorageError({ kind: "bad-proof" });
      await insertSession(c, { accountId: row.account_id, deviceId: row.device_id }, input.session);
      return row.account_id;
    });
  }

  async findSession(tokenHash: Uint8Array, now: number): Promise<SessionRecord | undefined> {
    const { rows } = await this.pool.query<{ account_id: string; device_id: string; expires_at: Date }>(
      "SELECT account_id, device_id, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
      [tokenHash, ts(now)],
    );
    const row = rows[0];
    return row && { accountId: row.account_id, deviceId: row.device_id, expiresAt: ms(row.expires_at) };
  }

  async createLinkCode(codeHash: Uint8Array, owner: DeviceRef, expiresAt: number): Promise<void> {
    await this.pool.query("INSERT INTO link_codes (code_hash, account_id, device_id, expires_at) VALUES ($1, $2, $3, $4)", [
      codeHash,
      owner.accountId,
      owner.deviceId,
      ts(expiresAt),
    ]);
  }

  async linkDevice(input: LinkDeviceInput): Promise<{ accountId: string; deliveries: Delivery[] }> {
    return inTransaction(this.pool, async (c) => {
      await consumeChallenge(c, input.challenge, input.now);
      const { rows } = await c.query<{ account_id: string }>(
        "DELETE FROM link_codes WHERE code_hash = $1 AND expires_at > $2 RETURNING account_id",
        [input.codeHash, ts(input.now)],
      );
      const code = rows[0];
      if (code === undefined) throw new StorageError({ kind: "bad-link-code" });
      const device = { accountId: code.account_id, deviceId: input.deviceId };
      const others = (await accountDevices(c, code.account_id)).map((d) => d.device_id);
      await insertDevice(c, device, input.signatureKey, input.now);
      await insertSession(c, device, input.session);
      const deliveries = await enqueue(c, { id: input.eventId, kind: "device-linked", sender: device, sentAt: input.now }, others);
      return { accountId: code.account_id, deliveries };
    });
  }

  async getDevice(deviceId: string): Promise<DeviceRecord | undefined> {
    const row = await deviceRow(this.pool, deviceId);
    return row && toDevice(row);
  }

  getAccountById(accountId: string): Promise<AccountRecord | undefined> {
    return this.account("account_id", accountId);
  }

  getAccountByName(name: string): Promise<AccountRecord | undefined> {
    return this.account("name", name);
  }

  async revokeDevice(device: DeviceRef, now: number): Promise<DeviceRecord> {
    return inTransaction(this.pool, async (c) => {
      const { rows } = await c.query<DeviceRow>(
        "UPDATE devices SET revoked_at = $1 WHERE device_id = $2 AND account_id = $3 AND revoked_at IS NULL RETURNING *",
        [ts(now), device.deviceId, device.accountId],
      );
      const row = rows[0];
      if (row === undefined) throw new StorageError({ kind: "no-such-device" });
      for (const table of ["sessions", "key_packages", "queue", "link_codes"]) {
        await c.query(`DELETE FROM ${table} WHERE device_id = $1`, [device.deviceId]);
      }
      await appendKt(c, device, "revoke", row.signature_key, now);
      return toDevice(row);
    });
  }

  async addKeyPackages(
    device: DeviceRef,
    oneTime: Uint8Array[],
    lastResort: Uint8Array | undefined,
  ): Promise<{ stored: number; available: number }> {
    return inTransaction(this.pool, async (c) => {
      if (oneTime.length > 0) {
        await c.query(
          "INSERT INTO key_packages (device_id, last_resort, data) SELECT $1, false, unnest($2::bytea[])",
          [device.deviceId, oneTime.map(asBuffer)],
        );
      }
      if (lastResort !== undefined) {
        // A device has at most one last-resort package: the newest replaces the old one.
        await c.query("DELETE FROM key_packages WHERE device_id = $1 AND last_resort", [device.deviceId]);
        await c.query("INSERT INTO key_packages (device_id, last_resort, data) VALUES ($1, true, $2)", [device.deviceId, lastResort]);
      }
      const stored = oneTime.length + (lastResort === undefined ? 0 : 1);
      return { stored, available: await countOneTime(c, device.deviceId) };
    });
  }

  async countKeyPackages(deviceId: string): Promise<{ available: number; lastResort: boolean }> {
    const { rows } = await this.pool.query<{ available: number; last_resort: boolean }>(
      `SELECT count(*) FILTER (WHERE NOT last_resort) AS available, bool_or(last_resort) AS last_resort
       FROM key_packages WHERE device_id = $1`,
      [deviceId],
    );
    return { available: rows[0]!.available, lastResort: rows[0]!.last_resort === true };
  }

  async claimKeyPackages(accountId: string, excludeDeviceId: string | undefined): Promise<ClaimedKeyPackage[]> {
    return inTransaction(this.pool, async (c) => {
      const out: ClaimedKeyPackage[] = [];
      for (const d of await accountDevices(c, accountId)) {
        if (d.device_id === excludeDeviceId) continue;
        // Oldest one-time package not being claimed by another transaction right now, deleted here:
        // handed out at most once however many nodes claim at the same time.
        const oneTime = await c.query<{ data: Buffer }>(
          `DELETE FROM key_packages WHERE kp_id = (
             SELECT kp_id FROM key_packages WHERE device_id = $1 AND NOT last_resort
             ORDER BY kp_id LIMIT 1 FOR UPDATE SKIP LOCKED
           ) RETURNING data`,
          [d.device_id],
        );
        const row =
          oneTime.rows[0] ??
          (await c.query<{ data: Buffer }>("SELECT data FROM key_packages WHERE device_id = $1 AND last_resort LIMIT 1", [d.device_id]))
            .rows[0];
        if (row !== undefined) out.push({ accountId, deviceId: d.device_id, keyPackage: bytes(row.data) });
      }
      return out;
    });
  }

  async createGroup(groupId: Uint8Array, creator: DeviceRef, now: number): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      try {
        await c.query("INSERT INTO groups (group_id, epoch, created_at) VALUES ($1, 0, $2)", [groupId, ts(now)]);
      } catch (err) {
        if (isUniqueViolation(err, "groups_pkey")) throw new StorageError({ kind: "group-exists" });
        throw err;
      }
      await insertMember(c, groupId, { leaf: 0, ...creator });
    });
  }

  async getGroup(groupId: Uint8Array): Promise<GroupRecord | undefined> {
    const state = await this.groupState(this.pool, groupId, "");
    return state && { groupId, epoch: state.epoch, members: [...state.members] };
  }

  async appendCommit(input: AppendCommitInput): Promise<AppendCommitResult> {
    return inTransaction(this.pool, async (c) => {
      // FOR UPDATE: commits for one group queue up here; the first moves the epoch, the rest see it moved.
      const { members, committerLeaf } = await this.checkSender(c, input.groupId, input.epoch, input.sender, "FOR UPDATE");
      // SL-V008 (RFC 9420 §6, §6.1): the commit's FramedContent.sender is the leaf of the device that posts it
      if (input.senderLeaf !== committerLeaf) throw new StorageError({ kind: "commit-sender-mismatch" });
      const next = applyMembership(members, committerLeaf, input.removes, input.adds);
      // SL-V009 (RFC 9420 §12.4.3.1): added members join only by the Welcome the commit comes with
      if (next.added.length > 0 && input.welcome === undefined) {
        throw new StorageError({ kind: "welcome-required" });
      }
      const newEpoch = input.epoch + 1;
      // SL-V007 (RFC 9420 §14): compare-and-set, so only the first commit for this epoch moves the group on.
      const moved = await c.query("UPDATE groups SET epoch = $1 WHERE group_id = $2 AND epoch = $3", [newEpoch, input.groupId, input.epoch]);
      if (moved.rowCount !== 1) throw new StorageError({ kind: "stale-epoch", currentEpoch: input.epoch });
      const removedLeaves = next.removed.map((m) => m.leaf);
      if (removedLeaves.length > 0) {
        await c.query("DELETE FROM group_members WHERE group_id = $1 AND leaf = ANY($2::int[])", [input.groupId, removedLeaves]);
      }
      for (const m of next.added) await insertMember(c, input.groupId, m);
      // Delivered to every member of the old epoch except the sender: removed members learn they are out.
      const recipients = members.filter((m) => m.deviceId !== input.sender.deviceId).map((m) => m.deviceId);
      const base = { groupId: input.groupId, epoch: input.epoch, sender: input.sender, sentAt: input.now };
      const deliveries = await enqueue(c, { ...base, id: input.commitId, kind: "commit", data: input.commit }, recipients);
      if (input.welcome !== undefined && next.added.length > 0) {
        const welcome = { ...base, epoch: newEpoch, id: input.welcomeId, kind: "welcome" as const, data: input.welcome };
        const welcomed = next.added.filter((m) => !input.welcomeWithheldFrom?.has(m.accountId));
        deliveries.push(...(await enqueue(c, welcome, welcomed.map((m) => m.deviceId))));
      }
      this.cacheMembers(groupKey(input.groupId), { epoch: newEpoch, members: next.members });
      return { epoch: newEpoch, deliveries };
    });
  }

  async appendApplication(input: AppendApplicationInput): Promise<Delivery[]> {
    return inTransaction(this.pool, async (c) => {
      // FOR SHARE: a commit for this group waits until this message is queued, so it is fanned out to
      // exactly the members of the epoch it was sent in.
      const { members } = await this.checkSender(c, input.groupId, input.epoch, input.sender, "FOR SHARE");
      const frank = input.frank();
      const recipients = members.filter((m) => m.deviceId !== input.sender.deviceId && !input.withheldFrom?.has(m.accountId));
      // Who received it, kept for the report window: a report is accepted only from a recipient.
      await c.query(
        `INSERT INTO message_recipients (message_id, account_id, group_id, sent_at)
         SELECT $1, a, $2, $3 FROM unnest($4::text[]) AS a ON CONFLICT DO NOTHING`,
        [input.id, input.groupId, ts(input.now), [...new Set(recipients.map((m) => m.accountId))]],
      );
      const message: NewMessage = {
        id: input.id,
        kind: "application",
        groupId: input.groupId,
        epoch: input.epoch,
        sender: input.sender,
        sentAt: input.now,
        data: input.message,
        frank,
      };
      return enqueue(c, message, recipients.map((m) => m.deviceId));
    });
  }

  async listKtEntries(from: number, to: number): Promise<KtEntryRecord[]> {
    const { rows } = await this.pool.query<{ seq: string; account_id: string; device_id: string; action: KtAction; public_key: Buffer; time: string }>(
      "SELECT * FROM kt_log WHERE seq >= $1 AND seq < $2 ORDER BY seq",
      [from, to],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      accountId: r.account_id,
      deviceId: r.device_id,
      action: r.action,
      publicKey: new Uint8Array(r.public_key),
      time: Number(r.time),
    }));
  }

  async ktLogSize(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>("SELECT COUNT(*) AS n FROM kt_log");
    return Number(rows[0]!.n);
  }

  async listFrankingKeys(): Promise<FrankingKeyRecord[]> {
    const { rows } = await this.pool.query<{
      key_id: string;
      hmac_key: Buffer;
      sign_key: Buffer;
      public_key: Buffer;
      created_at: Date;
      retired_at: Date | null;
    }>("SELECT * FROM franking_keys ORDER BY created_at DESC, key_id");
    return rows.map((r) => ({
      keyId: r.key_id,
      hmacKey: bytes(r.hmac_key),
      signKey: bytes(r.sign_key),
      publicKey: bytes(r.public_key),
      createdAt: ms(r.created_at),
      retiredAt: r.retired_at === null ? undefined : ms(r.retired_at),
    }));
  }

  async rotateFrankingKey(key: FrankingKeyRecord, staleBefore: number): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      // Nodes rotating at once take turns here; the later ones find the new key and keep it.
      await c.query("SELECT pg_advisory_xact_lock($1)", [FRANKING_LOCK]);
      const fresh = await c.query("SELECT 1 FROM franking_keys WHERE retired_at IS NULL AND created_at >= $1", [ts(staleBefore)]);
      if (fresh.rows.length > 0) return false;
      await c.query("UPDATE franking_keys SET retired_at = $1 WHERE retired_at IS NULL", [ts(key.createdAt)]);
      await c.query(
        "INSERT INTO franking_keys (key_id, hmac_key, sign_key, public_key, created_at, retired_at) VALUES ($1, $2, $3, $4, $5, NULL)",
        [key.keyId, key.hmacKey, key.signKey, key.publicKey, ts(key.createdAt)],
      );
      return true;
    });
  }

  async wasDeliveredTo(messageId: string, accountId: string, groupId: Uint8Array): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      "SELECT 1 FROM message_recipients WHERE message_id = $1 AND account_id = $2 AND group_id = $3",
      [messageId, accountId, groupId],
    );
    return rowCount === 1;
  }

  async listQueue(deviceId: string, limit: number): Promise<QueueItemRecord[]> {
    const { rows } = await this.pool.query<QueueRow>(
      `SELECT q.message_id, q.seq, m.kind, m.group_id, m.sender_account, m.sender_device, m.sent_at, m.data, m.frank
       FROM queue q JOIN messages m ON m.message_id = q.message_id
       WHERE q.device_id = $1 ORDER BY q.seq LIMIT $2`,
      [deviceId, limit],
    );
    return rows.map(toQueueItem);
  }

  async ackQueue(deviceId: string, ids: string[]): Promise<number> {
    const { rowCount } = await this.pool.query("DELETE FROM queue WHERE device_id = $1 AND message_id = ANY($2::text[])", [
      deviceId,
      [...new Set(ids)],
    ]);
    return rowCount ?? 0;
  }

  async putBlob(blob: BlobRecord): Promise<void> {
    await this.pool.query("INSERT INTO blobs (blob_id, account_id, size, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)", [
      blob.blobId,
      blob.accountId,
      blob.size,
      ts(blob.createdAt),
      ts(blob.expiresAt),
    ]);
  }

  async getBlob(blobId: string, now: number): Promise<BlobRecord | undefined> {
    const { rows } = await this.pool.query<{ blob_id: string; account_id: string; size: number; created_at: Date; expires_at: Date }>(
      "SELECT blob_id, account_id, size, created_at, expires_at FROM blobs WHERE blob_id = $1 AND expires_at > $2",
      [blobId, ts(now)],
    );
    const row = rows[0];
    return (
      row && { blobId: row.blob_id, accountId: row.account_id, size: row.size, createdAt: ms(row.created_at), expiresAt: ms(row.expires_at) }
    );
  }

  async blobBytesHeld(accountId: string, now: number): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>("SELECT COALESCE(SUM(size), 0) AS n FROM blobs WHERE account_id = $1 AND expires_at > $2", [accountId, ts(now)]);
    return Number(rows[0]!.n);
  }

  async takeExpiredBlobs(now: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ blob_id: string }>("DELETE FROM blobs WHERE expires_at <= $1 RETURNING blob_id", [ts(now)]);
    return rows.map((r) => r.blob_id);
  }

  async sweep(now: number, reportWindowStart: number): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      for (const table of ["challenges", "sessions", "link_codes"]) {
        await c.query(`DELETE FROM ${table} WHERE expires_at <= $1`, [ts(now)]);
      }
      await c.query("DELETE FROM queue WHERE device_id IN (SELECT device_id FROM devices WHERE revoked_at IS NOT NULL)");
      // Every recipient acknowledged: the payload is no longer needed.
      await c.query("DELETE FROM messages m WHERE NOT EXISTS (SELECT 1 FROM queue q WHERE q.message_id = m.message_id)");
      // Past the report window neither delivery records nor retired franking keys are needed.
      await c.query("DELETE FROM message_recipients WHERE sent_at < $1", [ts(reportWindowStart)]);
      await c.query("DELETE FROM franking_keys WHERE retired_at IS NOT NULL AND retired_at < $1", [ts(reportWindowStart)]);
    });
  }

  readonly backend = "postgres";

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async account(column: "account_id" | "name", value: string): Promise<AccountRecord | undefined> {
    const { rows } = await this.pool.query<{ account_id: string; name: string; birthdate: string; created_at: Date }>(
      `SELECT account_id, name, birthdate, created_at FROM accounts WHERE ${column} = $1`,
      [value],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      accountId: row.account_id,
      name: row.name,
      birthdate: row.birthdate,
      createdAt: ms(row.created_at),
      devices: (await accountDevices(this.pool, row.account_id)).map(toDevice),
    };
  }

  private cacheMembers(key: string, state: GroupState): void {
    if (this.members.size >= GROUP_CACHE_MAX && !this.members.has(key)) this.members.clear();
    this.members.set(key, state);
  }

  /** The stored epoch (read with `lock`), and its members from the cache when the cached epoch matches. */
  private async groupState(q: Queryable, groupId: Uint8Array, lock: "" | "FOR SHARE" | "FOR UPDATE"): Promise<GroupState | undefined> {
    const { rows } = await q.query<{ epoch: number }>(`SELECT epoch FROM groups WHERE group_id = $1 ${lock}`, [groupId]);
    const epoch = rows[0]?.epoch;
    if (epoch === undefined) return undefined;
    const key = groupKey(groupId);
    const cached = this.members.get(key);
    if (cached !== undefined && cached.epoch === epoch) return cached;
    const members = await q.query<{ leaf: number; account_id: string; device_id: string }>(
      "SELECT leaf, account_id, device_id FROM group_members WHERE group_id = $1 ORDER BY leaf",
      [groupId],
    );
    const state = { epoch, members: members.rows.map((r) => ({ leaf: r.leaf, accountId: r.account_id, deviceId: r.device_id })) };
    // Cached only when read under a lock, so the members are the ones of that epoch.
    if (lock !== "") this.cacheMembers(key, state);
    return state;
  }

  /** Group exists (404), caller is a member (403), epoch is current (409). */
  private async checkSender(
    c: Client,
    groupId: Uint8Array,
    epoch: number,
    sender: DeviceRef,
    lock: "FOR SHARE" | "FOR UPDATE",
  ): Promise<{ members: readonly MemberRecord[]; committerLeaf: number }> {
    const group = await this.groupState(c, groupId, lock);
    if (group === undefined) throw new StorageError({ kind: "no-such-group" });
    const me = group.members.find((m) => m.deviceId === sender.deviceId);
    if (me === undefined) throw new StorageError({ kind: "not-member" });
    // SL-V007 (RFC 9420 §14): a commit or message is premised on the epoch it names; it must be the current one.
    if (epoch !== group.epoch) throw new StorageError({ kind: "stale-epoch", currentEpoch: group.epoch });
    return { members: group.members, committerLeaf: me.leaf };
  }
}

async function consumeChallenge(c: Client, challenge: string, now: number): Promise<void> {
  const used = await c.query("DELETE FROM challenges WHERE challenge = $1 AND expires_at > $2", [challenge, ts(now)]);
  if (used.rowCount !== 1) throw new StorageError({ kind: "bad-challenge" });
}

async function insertDevice(c: Client, device: DeviceRef, signatureKey: Uint8Array, now: number): Promise<void> {
  try {
    await c.query("INSERT INTO devices (device_id, account_id, signature_key, created_at) VALUES ($1, $2, $3, $4)", [
      device.deviceId,
      device.accountId,
      signatureKey,
      ts(now),
    ]);
  } catch (err) {
    if (isUniqueViolation(err, "devices_signature_key_key")) {
      throw new StorageError({ kind: "key-taken" });
    }
    throw err;
  }
  await appendKt(c, device, "add", signatureKey, now);
}

async function appendKt(c: Client, device: DeviceRef, action: KtAction, publicKey: Uint8Array, now: number): Promise<void> {
  // Appends serialise on this lock until commit, so two nodes never take the same leaf index (a fork);
  // readers are not blocked. Device changes are rare, off the message path.
  await c.query("LOCK TABLE kt_log IN SHARE ROW EXCLUSIVE MODE");
  await c.query(
    "INSERT INTO kt_log (seq, account_id, device_id, action, public_key, time) SELECT COALESCE(MAX(seq) + 1, 0), $1, $2, $3, $4, $5 FROM kt_log",
    [device.accountId, device.deviceId, action, publicKey, now],
  );
}

async function insertSession(c: Client, device: DeviceRef, session: NewSession): Promise<void> {
  await c.query("INSERT INTO sessions (token_hash, account_id, device_id, expires_at) VALUES ($1, $2, $3, $4)", [
    session.tokenHash,
    device.accountId,
    device.deviceId,
    ts(session.expiresAt),
  ]);
}

async function deviceRow(q: Queryable, deviceId: string): Promise<DeviceRow | undefined> {
  const { rows } = await q.query<DeviceRow>(
    "SELECT device_id, account_id, signature_key, created_at, revoked_at FROM devices WHERE device_id = $1",
    [deviceId],
  );
  return rows[0];
}

async function accountDevices(q: Queryable, accountId: string): Promise<DeviceRow[]> {
  const { rows } = await q.query<DeviceRow>(
    "SELECT device_id, account_id, signature_key, created_at, revoked_at FROM devices WHERE account_id = $1 AND revoked_at IS NULL ORDER BY created_at, device_id",
    [accountId],
  );
  return rows;
}

async function countOneTime(c: Client, deviceId: string): Promise<number> {
  const { rows } = await c.query<{ n: number }>("SELECT count(*) AS n FROM key_packages WHERE device_id = $1 AND NOT last_resort", [deviceId]);
  return rows[0]!.n;
}

async function insertMember(c: Client, groupId: Uint8Array, m: MemberRecord): Promise<void> {
  await c.query("INSERT INTO group_members (group_id, leaf, account_id, device_id) VALUES ($1, $2, $3, $4)", [
    groupId,
    m.leaf,
    m.accountId,
    m.deviceId,
  ]);
}

/**
 * Stores the message once and appends it to each recipient's queue with the next per-device seq.
 * Idempotent by message id: a message already stored is not queued again.
 */
async function enqueue(c: Client, msg: NewMessage, deviceIds: string[]): Promise<Delivery[]> {
  const stored = await c.query(
    `INSERT INTO messages (message_id, kind, group_id, epoch, sender_account, sender_device, sent_at, data, frank)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (message_id) DO NOTHING`,
    [
      msg.id,
      msg.kind,
      msg.groupId ?? null,
      msg.epoch ?? null,
      msg.sender?.accountId ?? null,
      msg.sender?.deviceId ?? null,
      ts(msg.sentAt),
      msg.data ?? null,
      msg.frank === undefined ? null : JSON.stringify(msg.frank),
    ],
  );
  if (stored.rowCount !== 1 || deviceIds.length === 0) return [];
  // Devices locked in id order, so two fan-outs to overlapping devices cannot deadlock.
  const { rows } = await c.query<{ device_id: string; seq: number }>(
    `WITH bumped AS (
       UPDATE devices SET queue_seq = queue_seq + 1
       WHERE device_id IN (SELECT device_id FROM devices WHERE device_id = ANY($1::text[]) ORDER BY device_id FOR UPDATE)
       RETURNING device_id, queue_seq AS seq
     )
     INSERT INTO queue (device_id, seq, message_id) SELECT device_id, seq, $2 FROM bumped RETURNING device_id, seq`,
    [[...new Set(deviceIds)], msg.id],
  );
  const seqs = new Map(rows.map((r) => [r.device_id, r.seq]));
  return deviceIds.flatMap((deviceId) => {
    const seq = seqs.get(deviceId);
    if (seq === undefined) return [];
    const item: QueueItemRecord = { id: msg.id, seq, kind: msg.kind, sentAt: msg.sentAt };
    if (msg.groupId !== undefined) item.groupId = msg.groupId;
    if (msg.sender !== undefined) item.sender = msg.sender;
    if (msg.data !== undefined) item.data = msg.data;
    if (msg.frank !== undefined) item.frank = msg.frank;
    return [{ deviceId, item }];
  });
}

const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

const groupKey = (groupId: Uint8Array): string => asBuffer(groupId).toString("base64");


function toDevice(row: DeviceRow): DeviceRecord {
  const device: DeviceRecord = { accountId: row.account_id, deviceId: row.device_id, signatureKey: bytes(row.signature_key), createdAt: ms(row.created_at) };
  if (row.revoked_at !== null) device.revokedAt = ms(row.revoked_at);
  return device;
}

function toQueueItem(row: QueueRow): QueueItemRecord {
  const item: QueueItemRecord = { id: row.message_id, seq: row.seq, kind: row.kind as QueueItemKind, sentAt: ms(row.sent_at) };
  if (row.group_id !== null) item.groupId = bytes(row.group_id);
  if (row.sender_account !== null && row.sender_device !== null) item.sender = { accountId: row.sender_account, deviceId: row.sender_device };
  if (row.data !== null) item.data = bytes(row.data);
  if (row.frank !== null) item.frank = row.frank;
  return item;
}
