/**
 * Storage for the child-safety rules (docs/safety.md), on the server's SQLite file (schema v4 in
 * storage/migrations.ts). Its own connection: the tables are this feature's, and the few reads of shared
 * tables (accounts, devices, queue) are plain SQL a PostgreSQL port can keep.
 */
import { FeatureStore, openFeatureDb } from "../storage/featureDb.js";
import type { Delivery, QueueItemKind, QueueItemRecord } from "../storage/types.js";


export type RequestStatus = "pending" | "accepted" | "declined";

export interface RequestRecord {
  requesterId: string;
  recipientId: string;
  status: RequestStatus;
  createdAt: number;
  updatedAt: number;
}

export interface ActionRecord {
  actionId: string;
  accountId: string;
  action: string;
  rule: string;
  detail: string;
  createdAt: number;
  createdBy: string;
  liftedAt: number | undefined;
  liftedBy: string | undefined;
}

export interface AccountFacts {
  accountId: string;
  name: string;
  birthdate: string;
  createdAt: number;
  role: string;
}

interface RequestRow {
  requester_id: string;
  recipient_id: string;
  status: string;
  created_at: number;
  updated_at: number;
}

interface ActionRow {
  action_id: string;
  account_id: string;
  action: string;
  rule: string;
  detail: string;
  created_at: number;
  created_by: string;
  lifted_at: number | null;
  lifted_by: string | null;
}

const toRequest = (r: RequestRow): RequestRecord => ({
  requesterId: r.requester_id,
  recipientId: r.recipient_id,
  status: r.status as RequestStatus,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toAction = (r: ActionRow): ActionRecord => ({
  actionId: r.action_id,
  accountId: r.account_id,
  action: r.action,
  rule: r.rule,
  detail: r.detail,
  createdAt: r.created_at,
  createdBy: r.created_by,
  liftedAt: r.lifted_at ?? undefined,
  liftedBy: r.lifted_by ?? undefined,
});

/** Request state that makes a group's items to a recipient requests (pending) or undeliverable (declined). */
const GROUP_REQUESTS = `SELECT g.recipient_id, r.status FROM safety_request_groups g
  JOIN safety_requests r ON r.requester_id = g.requester_id AND r.recipient_id = g.recipient_id
  WHERE g.group_id = ?`;

/** Most entries the read memo holds before it starts over (it only saves queries). */
const MEMO_MAX = 10_000;

export class SafetyStore extends FeatureStore {
  static open(dataDir: string): SafetyStore {
    return new SafetyStore(openFeatureDb(dataDir));
  }

  /**
   * The reads every message's fan-out makes (refusers, a group's request state, active actions), kept
   * until this store next writes a safety table: it is the only writer of those tables.
   */
  private readonly memo = new Map<string, unknown>();
  /** A device belongs to one account for life, so this is never invalidated. */
  private readonly deviceAccounts = new Map<string, string>();

  private memoized<T>(key: string, read: () => T): T {
    if (this.memo.has(key)) return this.memo.get(key) as T;
    if (this.memo.size >= MEMO_MAX) this.memo.clear();
    const value = read();
    this.memo.set(key, value);
    return value;
  }

  /** A read memoized inside a transaction that then rolls back would be wrong: forget them all. */
  override transaction<T>(fn: () => T): T {
    try {
      return super.transaction(fn);
    } finally {
      this.memo.clear();
    }
  }

  /** Runs a write to the safety tables and forgets every memoized read. */
  private write<T>(run: () => T): T {
    this.memo.clear();
    return run();
  }

  // ---- accounts (shared table, read only) ---------------------------------------------------------

  account(accountId: string): AccountFacts | undefined {
    const row = this.stmt("SELECT account_id, name, birthdate, created_at, role FROM accounts WHERE account_id = ?").get(accountId) as
      | { account_id: string; name: string; birthdate: string; created_at: number; role: string | null }
      | undefined;
    return (
      row && { accountId: row.account_id, name: row.name, birthdate: row.birthdate, createdAt: row.created_at, role: row.role ?? "user" }
    );
  }

  // ---- requests and contacts ----------------------------------------------------------------------

  request(requesterId: string, recipientId: string): RequestRecord | undefined {
    const row = this.stmt("SELECT * FROM safety_requests WHERE requester_id = ? AND recipient_id = ?").get(requesterId, recipientId) as
      | RequestRow
      | undefined;
    return row && toRequest(row);
  }

  /** Contacts: an accepted request in either direction. */
  areContacts(a: string, b: string): boolean {
    return (
      this.stmt(
        `SELECT 1 FROM safety_requests WHERE status = 'accepted'
           AND ((requester_id = ? AND recipient_id = ?) OR (requester_id = ? AND recipient_id = ?))`,
      ).get(a, b, b, a) !== undefined
    );
  }

  setRequest(requesterId: string, recipientId: string, status: RequestStatus, now: number): void {
    this.write(() => this.stmt(
      `INSERT INTO safety_requests (requester_id, recipient_id, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (requester_id, recipient_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`,
    ).run(requesterId, recipientId, status, now, now));
  }

  bindGroup(requesterId: string, recipientId: string, groupId: Uint8Array): void {
    this.write(() =>
      this.stmt("INSERT OR IGNORE INTO safety_request_groups (recipient_id, group_id, requester_id) VALUES (?, ?, ?)").run(
        recipientId,
        groupId,
        requesterId,
      ),
    );
  }

  outgoingRequests(requesterId: string, status: RequestStatus): RequestRecord[] {
    return (this.stmt("SELECT * FROM safety_requests WHERE requester_id = ? AND status = ?").all(requesterId, status) as RequestRow[]).map(
      toRequest,
    );
  }

  incomingRequests(recipientId: string, status: RequestStatus): RequestRecord[] {
    return (
      this.stmt(
        `SELECT r.* FROM safety_requests r WHERE r.recipient_id = ? AND r.status = ?
           AND NOT EXISTS (SELECT 1 FROM safety_blocks b WHERE b.blocker_id = r.recipient_id AND b.blocked_id = r.requester_id)
         ORDER BY r.created_at`,
      ).all(recipientId, status) as RequestRow[]
    ).map(toRequest);
  }

  contactsOf(accountId: string): { accountId: string; since: number }[] {
    const rows = this.stmt(
      `SELECT CASE WHEN requester_id = ? THEN recipient_id ELSE requester_id END AS other, updated_at
       FROM safety_requests WHERE status = 'accepted' AND (requester_id = ? OR recipient_id = ?) ORDER BY updated_at`,
    ).all(accountId, accountId, accountId) as { other: string; updated_at: number }[];
    return rows.map((r) => ({ accountId: r.other, since: r.updated_at }));
  }

  /** Recipients in this group for whom it is still a pending request, and those who declined it. */
  groupRequestState(groupId: Uint8Array): { pending: ReadonlySet<string>; declined: ReadonlySet<string> } {
    return this.memoized(`group:${Buffer.from(groupId).toString("base64")}`, () => {
      const rows = this.stmt(GROUP_REQUESTS).all(groupId) as { recipient_id: string; status: string }[];
      const pending = new Set<string>();
      const declined = new Set<string>();
      for (const r of rows) (r.status === "pending" ? pending : r.status === "declined" ? declined : new Set()).add(r.recipient_id);
      return { pending, declined };
    });
  }

  /** Groups that are pending requests for this recipient (their queue items get `request: true`). */
  pendingGroupsOf(recipientId: string): Uint8Array[] {
    const rows = this.stmt(
      `SELECT g.group_id FROM safety_request_groups g
       JOIN safety_requests r ON r.requester_id = g.requester_id AND r.recipient_id = g.recipient_id
       WHERE g.recipient_id = ? AND r.status = 'pending'`,
    ).all(recipientId) as { group_id: Buffer }[];
    return rows.map((r) => new Uint8Array(r.group_id));
  }

  /** A pending request from `requesterId` to `recipientId` through this group, if any. */
  pendingRequestVia(groupId: Uint8Array, recipientId: string): string | undefined {
    const row = this.stmt(
      `SELECT g.requester_id FROM safety_request_groups g
       JOIN safety_requests r ON r.requester_id = g.requester_id AND r.recipient_id = g.recipient_id
       WHERE g.group_id = ? AND g.recipient_id = ? AND r.status = 'pending' LIMIT 1`,
    ).get(groupId, recipientId) as { requester_id: string } | undefined;
    return row?.requester_id;
  }

  // ---- blocks ---------------------------------------------------------------------------------------

  isBlocked(blockerId: string, blockedId: string): boolean {
    return this.stmt("SELECT 1 FROM safety_blocks WHERE blocker_id = ? AND blocked_id = ?").get(blockerId, blockedId) !== undefined;
  }

  /** Accounts that blocked `accountId`, or declined its requests: nothing from it reaches them. */
  refusersOf(accountId: string): ReadonlySet<string> {
    return this.memoized(`refusers:${accountId}`, () => {
      const rows = this.stmt(
        `SELECT blocker_id AS a FROM safety_blocks WHERE blocked_id = ?
         UNION SELECT recipient_id FROM safety_requests WHERE requester_id = ? AND status = 'declined'`,
      ).all(accountId, accountId) as { a: string }[];
      return new Set(rows.map((r) => r.a));
    });
  }

  block(blockerId: string, blockedId: string, now: number): void {
    this.write(() => this.stmt("INSERT OR IGNORE INTO safety_blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?)").run(blockerId, blockedId, now));
  }

  unblock(blockerId: string, blockedId: string): boolean {
    return this.write(() => this.stmt("DELETE FROM safety_blocks WHERE blocker_id = ? AND blocked_id = ?").run(blockerId, blockedId).changes > 0);
  }

  blocksOf(blockerId: string): { accountId: string; since: number }[] {
    const rows = this.stmt("SELECT blocked_id, created_at FROM safety_blocks WHERE blocker_id = ? ORDER BY created_at").all(blockerId) as {
      blocked_id: string;
      created_at: number;
    }[];
    return rows.map((r) => ({ accountId: r.blocked_id, since: r.created_at }));
  }

  /** Removes queued application messages and welcomes from `senderId` from every device of `recipientId`. */
  dropQueuedFrom(recipientId: string, senderId: string, groupId?: Uint8Array): number {
    const sql = `DELETE FROM queue WHERE device_id IN (SELECT device_id FROM devices WHERE account_id = ?)
       AND message_id IN (SELECT message_id FROM messages WHERE sender_account = ? AND kind IN ('application', 'welcome')
       ${groupId ? "AND group_id = ?" : ""})`;
    const args = groupId ? [recipientId, senderId, groupId] : [recipientId, senderId];
    return this.stmt(sql).run(...args).changes;
  }

  /** Deletes these queue rows (items that must not be delivered); used right after a fan-out. */
  dropQueueRows(rows: { deviceId: string; messageId: string }[]): void {
    const del = this.stmt("DELETE FROM queue WHERE device_id = ? AND message_id = ?");
    this.transaction(() => {
      for (const r of rows) del.run(r.deviceId, r.messageId);
    });
  }

  // ---- settings -------------------------------------------------------------------------------------

  inbound(accountId: string): string | undefined {
    const row = this.stmt("SELECT inbound FROM safety_settings WHERE account_id = ?").get(accountId) as { inbound: string } | undefined;
    return row?.inbound;
  }

  setInbound(accountId: string, inbound: string, now: number): void {
    this.stmt(
      `INSERT INTO safety_settings (account_id, inbound, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (account_id) DO UPDATE SET inbound = excluded.inbound, updated_at = excluded.updated_at`,
    ).run(accountId, inbound, now);
  }

  // ---- risk events and actions -----------------------------------------------------------------------

  recordEvent(accountId: string, kind: string, subjectId: string, at: number): void {
    this.stmt("INSERT INTO safety_events (account_id, kind, subject_id, at) VALUES (?, ?, ?, ?)").run(accountId, kind, subjectId, at);
  }

  pruneEvents(before: number): number {
    return this.stmt("DELETE FROM safety_events WHERE at < ?").run(before).changes;
  }

  countEvents(accountId: string, kinds: string[], since: number, distinct: boolean): number {
    const marks = kinds.map(() => "?").join(", ");
    const what = distinct ? "COUNT(DISTINCT subject_id)" : "COUNT(*)";
    const row = this.stmt(`SELECT ${what} AS n FROM safety_events WHERE account_id = ? AND kind IN (${marks}) AND at > ?`).get(
      accountId,
      ...kinds,
      since,
    ) as { n: number };
    return row.n;
  }

  /** Reports against the account (the moderation tables, schema v3). */
  countReports(accountId: string, since: number): number {
    const row = this.stmt("SELECT COUNT(*) AS n FROM reports WHERE reported_account = ? AND created_at > ?").get(accountId, since) as {
      n: number;
    };
    return row.n;
  }

  /** Distinct accounts this one sent requests to since `since` (pending ones, for safety notices). */
  requestedSince(requesterId: string, since: number): string[] {
    const rows = this.stmt(
      "SELECT recipient_id FROM safety_requests WHERE requester_id = ? AND updated_at > ? AND status = 'pending'",
    ).all(requesterId, since) as { recipient_id: string }[];
    return rows.map((r) => r.recipient_id);
  }

  addAction(a: Omit<ActionRecord, "liftedAt" | "liftedBy">): void {
    this.write(() =>
      this.stmt(
        `INSERT INTO safety_actions (action_id, account_id, action, rule, detail, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(a.actionId, a.accountId, a.action, a.rule, a.detail, a.createdAt, a.createdBy),
    );
  }

  activeActions(accountId: string): readonly ActionRecord[] {
    return this.memoized(`actions:${accountId}`, () =>
      (
        this.stmt("SELECT * FROM safety_actions WHERE account_id = ? AND lifted_at IS NULL ORDER BY created_at").all(accountId) as ActionRow[]
      ).map(toAction),
    );
  }

  /** When a rule's actions on this account were last lifted (its window restarts there). */
  lastLift(accountId: string, rule: string): number | undefined {
    const row = this.stmt("SELECT MAX(lifted_at) AS t FROM safety_actions WHERE account_id = ? AND rule = ?").get(accountId, rule) as {
      t: number | null;
    };
    return row.t ?? undefined;
  }

  listActions(accountId: string | undefined, activeOnly: boolean, limit: number): ActionRecord[] {
    const where = [accountId ? "account_id = ?" : "", activeOnly ? "lifted_at IS NULL" : ""].filter(Boolean);
    const sql = `SELECT * FROM safety_actions ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY created_at DESC, action_id LIMIT ?`;
    const args: (string | number)[] = accountId ? [accountId, limit] : [limit];
    return (this.stmt(sql).all(...args) as ActionRow[]).map(toAction);
  }

  liftActions(accountId: string, by: string, now: number): number {
    return this.write(
      () => this.stmt("UPDATE safety_actions SET lifted_at = ?, lifted_by = ? WHERE account_id = ? AND lifted_at IS NULL").run(now, by, accountId).changes,
    );
  }

  // ---- safety notices ---------------------------------------------------------------------------------

  /** Records the notice; false when this recipient already has it about this account. */
  addNotice(recipientId: string, subjectId: string, reason: string, now: number): boolean {
    return (
      this.stmt("INSERT OR IGNORE INTO safety_notices (account_id, subject_id, reason, created_at) VALUES (?, ?, ?, ?)").run(
        recipientId,
        subjectId,
        reason,
        now,
      ).changes > 0
    );
  }

  noticesAbout(recipientId: string, subjectId: string): string[] {
    const rows = this.stmt("SELECT reason FROM safety_notices WHERE account_id = ? AND subject_id = ? ORDER BY created_at").all(
      recipientId,
      subjectId,
    ) as { reason: string }[];
    return rows.map((r) => r.reason);
  }

  /**
   * Appends an account event (a safety notice) to the queue of every device of the account, like the
   * storage layer's own fan-out: one `messages` row, the next per-device `seq`, in one transaction.
   */
  enqueueForAccount(accountId: string, item: { id: string; kind: string; sentAt: number; data: Uint8Array }): Delivery[] {
    return this.transaction(() => {
      this.stmt("INSERT INTO messages (message_id, kind, sent_at, data) VALUES (?, ?, ?, ?)").run(item.id, item.kind, item.sentAt, item.data);
      const devices = this.stmt("SELECT device_id FROM devices WHERE account_id = ? ORDER BY created_at, device_id").all(accountId) as {
        device_id: string;
      }[];
      const bump = this.stmt("UPDATE devices SET queue_seq = queue_seq + 1 WHERE device_id = ? RETURNING queue_seq");
      const insert = this.stmt("INSERT INTO queue (device_id, seq, message_id) VALUES (?, ?, ?)");
      return devices.map(({ device_id: deviceId }) => {
        const { queue_seq: seq } = bump.get(deviceId) as { queue_seq: number };
        insert.run(deviceId, seq, item.id);
        const record: QueueItemRecord = { id: item.id, seq, kind: item.kind as QueueItemKind, sentAt: item.sentAt, data: item.data };
        return { deviceId, item: record };
      });
    });
  }

  /** Account of each device (to map deliveries to recipients). */
  accountsOfDevices(deviceIds: string[]): Map<string, string> {
    const out = new Map<string, string>();
    const q = this.stmt("SELECT account_id FROM devices WHERE device_id = ?");
    for (const d of new Set(deviceIds)) {
      let account = this.deviceAccounts.get(d);
      if (account === undefined) {
        account = (q.get(d) as { account_id: string } | undefined)?.account_id;
        if (account === undefined) continue;
        if (this.deviceAccounts.size >= MEMO_MAX) this.deviceAccounts.clear();
        this.deviceAccounts.set(d, account);
      }
      out.set(d, account);
    }
    return out;
  }
}
