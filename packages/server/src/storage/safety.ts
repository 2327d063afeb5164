/**
 * Storage for the child-safety rules (docs/safety.md): message requests, blocks, inbound settings, risk
 * events, automatic actions and safety notices. Part of the one data-access layer: both Storage
 * implementations expose it as `safety`. The SQL is shared by the two dialects where they agree
 * (`safetySql`, written with `?` placeholders); only time columns differ (milliseconds in SQLite,
 * timestamptz in PostgreSQL). Reads of the shared tables (accounts, devices, queue) are plain SQL.
 *
 * Every check-then-write the rules need to hold across nodes is one method here, atomic in the database:
 * the daily request allowance, a rule firing once, a decline or block counted once, a notice sent once.
 */
import type Database from "better-sqlite3";
import { FeatureStore } from "./featureDb.js";
import { bytes } from "./bytes.js";
import type { Delivery, QueueItemKind } from "./types.js";

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

export type NewAction = Omit<ActionRecord, "liftedAt" | "liftedBy">;

export interface AccountFacts {
  accountId: string;
  name: string;
  birthdate: string;
  createdAt: number;
  role: string;
}

/** Another account and since when (a contact, a block). */
export interface Since {
  accountId: string;
  since: number;
}

/** Recipients for whom a group is still a pending request, and those who declined it. */
export interface GroupRequestState {
  pending: ReadonlySet<string>;
  declined: ReadonlySet<string>;
}

/** An account event (a safety notice) for every device of an account; metadata only, never message content. */
export interface AccountEvent {
  id: string;
  kind: QueueItemKind;
  sentAt: number;
  data: Uint8Array;
}

/** At most `max` distinct accounts requested since `since` (a rate-limited account's daily allowance). */
export interface RequestAllowance {
  max: number;
  since: number;
}

export interface SafetyStore {
  account(accountId: string): Promise<AccountFacts | undefined>;

  request(requesterId: string, recipientId: string): Promise<RequestRecord | undefined>;
  /** Contacts: an accepted request in either direction. */
  areContacts(a: string, b: string): Promise<boolean>;
  outgoingRequests(requesterId: string, status: RequestStatus): Promise<RequestRecord[]>;
  /** Oldest first; requests from accounts the recipient blocked are left out. */
  incomingRequests(recipientId: string, status: RequestStatus): Promise<RequestRecord[]>;
  contactsOf(accountId: string): Promise<Since[]>;
  /** Records a request as pending unless it already is (then its time is kept). */
  putPendingRequest(requesterId: string, recipientId: string, now: number): Promise<void>;
  /** Counts a new request (`request`, and `request-teen` when `teen`) unless `allowance` is used up:
   *  then nothing is recorded and it returns false. */
  recordRequest(requesterId: string, recipientId: string, teen: boolean, now: number, allowance?: RequestAllowance): Promise<boolean>;
  bindGroup(requesterId: string, recipientId: string, groupId: Uint8Array): Promise<void>;
  groupRequestState(groupId: Uint8Array): Promise<GroupRequestState>;
  /** Groups that are pending requests for this recipient (their queue items get `request: true`). */
  pendingGroupsOf(recipientId: string): Promise<Uint8Array[]>;
  /** The requester of a pending request to `recipientId` through this group, if any. */
  pendingRequestVia(groupId: Uint8Array, recipientId: string): Promise<string | undefined>;
  /** Unblocks and accepts, in one transaction. */
  accept(recipientId: string, requesterId: string, now: number): Promise<void>;
  /** Declines a pending request, counts `request-declined` and drops what it had queued; false when it
   *  was not pending (another node may just have declined it). */
  decline(recipientId: string, requesterId: string, now: number): Promise<boolean>;

  isBlocked(blockerId: string, blockedId: string): Promise<boolean>;
  /** Accounts that blocked `accountId` or declined its requests: nothing from it reaches them. */
  refusersOf(accountId: string): Promise<ReadonlySet<string>>;
  /** Blocks and drops what the blocked account had queued; when this block is new and refuses a pending
   *  request, counts `request-blocked` and returns true. */
  block(blockerId: string, blockedId: string, now: number): Promise<boolean>;
  unblock(blockerId: string, blockedId: string): Promise<boolean>;
  blocksOf(blockerId: string): Promise<Since[]>;
  /** Deletes these queue rows (items that must not be delivered). */
  dropQueueRows(rows: { deviceId: string; messageId: string }[]): Promise<void>;

  inbound(accountId: string): Promise<string | undefined>;
  setInbound(accountId: string, inbound: string, now: number): Promise<void>;

  countEvents(accountId: string, kinds: string[], since: number, distinct: boolean): Promise<number>;
  pruneEvents(before: number): Promise<number>;
  /** Reports against the account (the moderation tables). */
  countReports(accountId: string, since: number): Promise<number>;
  /** Accounts this one has pending requests with, made since `since`. */
  requestedSince(requesterId: string, since: number): Promise<string[]>;

  /** Adds a rule's actions unless the rule already has an active action on the account; true when
   *  this call fired it (two nodes evaluating at once fire it once). */
  fireRule(accountId: string, rule: string, actions: NewAction[]): Promise<boolean>;
  activeActions(accountId: string): Promise<ActionRecord[]>;
  /** When a rule's actions on this account were last lifted (its window restarts there). */
  lastLift(accountId: string, rule: string): Promise<number | undefined>;
  listActions(accountId: string | undefined, activeOnly: boolean, limit: number): Promise<ActionRecord[]>;
  liftActions(accountId: string, by: string, now: number): Promise<number>;

  /** Records the notice and queues `event` for every device of the recipient, once per (recipient,
   *  subject, reason): the deliveries, none when the recipient already had it. */
  notify(recipientId: string, subjectId: string, reason: string, event: AccountEvent): Promise<Delivery[]>;
  noticesAbout(recipientId: string, subjectId: string): Promise<string[]>;

  /** Account of each device (to map deliveries to recipients). */
  accountsOfDevices(deviceIds: string[]): Promise<Map<string, string>>;
}

// ---- rows and mappers, shared by both backends (times in milliseconds) ----------------------------------

export interface RequestRow {
  requester_id: string;
  recipient_id: string;
  status: string;
  created_at: number;
  updated_at: number;
}

export interface ActionRow {
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

export interface AccountRow {
  account_id: string;
  name: string;
  birthdate: string;
  created_at: number;
  role: string | null;
}

export const toRequest = (r: RequestRow): RequestRecord => ({
  requesterId: r.requester_id,
  recipientId: r.recipient_id,
  status: r.status as RequestStatus,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toAction = (r: ActionRow): ActionRecord => ({
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

export const toAccount = (r: AccountRow): AccountFacts => ({
  accountId: r.account_id,
  name: r.name,
  birthdate: r.birthdate,
  createdAt: r.created_at,
  role: r.role ?? "user",
});

export const toSince = (r: { account_id: string; since: number }): Since => ({ accountId: r.account_id, since: r.since });

export function toGroupState(rows: { recipient_id: string; status: string }[]): GroupRequestState {
  const pending = new Set<string>();
  const declined = new Set<string>();
  for (const r of rows) {
    if (r.status === "pending") pending.add(r.recipient_id);
    else if (r.status === "declined") declined.add(r.recipient_id);
  }
  return { pending, declined };
}

// ---- SQL both dialects share -------------------------------------------------------------------------------

/** Selects a time column as milliseconds since the epoch, named `as`. */
export type TimeColumn = (column: string, as?: string) => string;

/** The safety SQL for a dialect, which differs only in how a time column is read. */
export function safetySql(t: TimeColumn) {
  const request = `SELECT requester_id, recipient_id, status, ${t("created_at")}, ${t("updated_at")} FROM safety_requests`;
  const action = `SELECT action_id, account_id, action, rule, detail, ${t("created_at")}, created_by, ${t("lifted_at")}, lifted_by
    FROM safety_actions`;
  /** Joins a request group binding to its request. */
  const viaGroup = `FROM safety_request_groups g
    JOIN safety_requests r ON r.requester_id = g.requester_id AND r.recipient_id = g.recipient_id`;
  return {
    account: `SELECT account_id, name, birthdate, ${t("created_at")}, role FROM accounts WHERE account_id = ?`,
    request: `${request} WHERE requester_id = ? AND recipient_id = ?`,
    areContacts: `SELECT 1 FROM safety_requests WHERE status = 'accepted'
      AND ((requester_id = ? AND recipient_id = ?) OR (requester_id = ? AND recipient_id = ?))`,
    outgoing: `${request} WHERE requester_id = ? AND status = ?`,
    incoming: `${request} r WHERE r.recipient_id = ? AND r.status = ?
      AND NOT EXISTS (SELECT 1 FROM safety_blocks b WHERE b.blocker_id = r.recipient_id AND b.blocked_id = r.requester_id)
      ORDER BY r.created_at`,
    contactsOf: `SELECT CASE WHEN requester_id = ? THEN recipient_id ELSE requester_id END AS account_id, ${t("updated_at", "since")}
      FROM safety_requests WHERE status = 'accepted' AND (requester_id = ? OR recipient_id = ?) ORDER BY updated_at`,
    /** Renewing a pending request keeps its time (the request-window signals count from it). */
    putPending: `INSERT INTO safety_requests (requester_id, recipient_id, status, created_at, updated_at) VALUES (?, ?, 'pending', ?, ?)
      ON CONFLICT (requester_id, recipient_id) DO UPDATE SET status = 'pending', updated_at = excluded.updated_at
      WHERE safety_requests.status <> 'pending'`,
    accept: `INSERT INTO safety_requests (requester_id, recipient_id, status, created_at, updated_at) VALUES (?, ?, 'accepted', ?, ?)
      ON CONFLICT (requester_id, recipient_id) DO UPDATE SET status = 'accepted', updated_at = excluded.updated_at`,
    decline: `UPDATE safety_requests SET status = 'declined', updated_at = ?
      WHERE requester_id = ? AND recipient_id = ? AND status = 'pending'`,
    bindGroup: "INSERT INTO safety_request_groups (recipient_id, group_id, requester_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    groupRequests: `SELECT g.recipient_id, r.status ${viaGroup} WHERE g.group_id = ?`,
    pendingGroupsOf: `SELECT g.group_id ${viaGroup} WHERE g.recipient_id = ? AND r.status = 'pending'`,
    pendingVia: `SELECT g.requester_id ${viaGroup} WHERE g.group_id = ? AND g.recipient_id = ? AND r.status = 'pending' LIMIT 1`,
    isBlocked: "SELECT 1 FROM safety_blocks WHERE blocker_id = ? AND blocked_id = ?",
    refusers: `SELECT blocker_id AS account_id FROM safety_blocks WHERE blocked_id = ?
      UNION SELECT recipient_id FROM safety_requests WHERE requester_id = ? AND status = 'declined'`,
    block: "INSERT INTO safety_blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    isPending: "SELECT 1 FROM safety_requests WHERE requester_id = ? AND recipient_id = ? AND status = 'pending'",
    unblock: "DELETE FROM safety_blocks WHERE blocker_id = ? AND blocked_id = ?",
    blocksOf: `SELECT blocked_id AS account_id, ${t("created_at", "since")} FROM safety_blocks WHERE blocker_id = ? ORDER BY created_at`,
    /** Queued application messages and welcomes from a sender to every device of a recipient; from the
     *  recipient's queue rows, so the messages table is read by primary key, not scanned by sender. */
    dropQueuedFrom: `DELETE FROM queue WHERE device_id IN (SELECT device_id FROM devices WHERE account_id = ?)
      AND EXISTS (SELECT 1 FROM messages m WHERE m.message_id = queue.message_id
        AND m.sender_account = ? AND m.kind IN ('application', 'welcome'))`,
    inbound: "SELECT inbound FROM safety_settings WHERE account_id = ?",
    setInbound: `INSERT INTO safety_settings (account_id, inbound, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (account_id) DO UPDATE SET inbound = excluded.inbound, updated_at = excluded.updated_at`,
    recordEvent: "INSERT INTO safety_events (account_id, kind, subject_id, at) VALUES (?, ?, ?, ?)",
    countEvents: (kinds: number, distinct: boolean) =>
      `SELECT ${distinct ? "COUNT(DISTINCT subject_id)" : "COUNT(*)"} AS n FROM safety_events
       WHERE account_id = ? AND kind IN (${Array(kinds).fill("?").join(", ")}) AND at > ?`,
    pruneEvents: "DELETE FROM safety_events WHERE at < ?",
    countReports: "SELECT COUNT(*) AS n FROM reports WHERE reported_account = ? AND created_at > ?",
    requestedSince: "SELECT recipient_id FROM safety_requests WHERE requester_id = ? AND updated_at > ? AND status = 'pending'",
    ruleActive: "SELECT 1 FROM safety_actions WHERE account_id = ? AND rule = ? AND lifted_at IS NULL",
    addAction: `INSERT INTO safety_actions (action_id, account_id, action, rule, detail, created_at, created_by)
      VALUES (?, ?, ?, ?, ?, ?, ?)`,
    activeActions: `${action} WHERE account_id = ? AND lifted_at IS NULL ORDER BY created_at`,
    lastLift: `SELECT ${t("MAX(lifted_at)", "t")} FROM safety_actions WHERE account_id = ? AND rule = ?`,
    listActions: (byAccount: boolean, activeOnly: boolean) => {
      const where = [byAccount ? "account_id = ?" : "", activeOnly ? "lifted_at IS NULL" : ""].filter(Boolean);
      return `${action} ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY created_at DESC, action_id LIMIT ?`;
    },
    liftActions: "UPDATE safety_actions SET lifted_at = ?, lifted_by = ? WHERE account_id = ? AND lifted_at IS NULL",
    addNotice: "INSERT INTO safety_notices (account_id, subject_id, reason, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    noticesAbout: "SELECT reason FROM safety_notices WHERE account_id = ? AND subject_id = ? ORDER BY created_at",
    accountDevices: "SELECT device_id FROM devices WHERE account_id = ? AND revoked_at IS NULL ORDER BY created_at, device_id",
  };
}

export type SafetySql = ReturnType<typeof safetySql>;

// ---- SQLite ---------------------------------------------------------------------------------------------------

const SQL = safetySql((column, as) => (as === undefined ? column : `${column} AS ${as}`));

/** SqliteStorage's queue append (same transaction, same per-device sequence). */
export type SqliteEnqueue = (event: AccountEvent, deviceIds: string[]) => Delivery[];

/**
 * On SqliteStorage's connection. better-sqlite3 runs each call to completion, so a method's transaction
 * is never interleaved with another's: the check-then-write methods are atomic as they stand.
 */
export class SqliteSafetyStore extends FeatureStore implements SafetyStore {
  constructor(
    db: Database.Database,
    private readonly enqueue: SqliteEnqueue,
  ) {
    super(db);
  }

  async account(accountId: string): Promise<AccountFacts | undefined> {
    const row = this.stmt(SQL.account).get(accountId) as AccountRow | undefined;
    return row && toAccount(row);
  }

  async request(requesterId: string, recipientId: string): Promise<RequestRecord | undefined> {
    const row = this.stmt(SQL.request).get(requesterId, recipientId) as RequestRow | undefined;
    return row && toRequest(row);
  }

  async areContacts(a: string, b: string): Promise<boolean> {
    return this.stmt(SQL.areContacts).get(a, b, b, a) !== undefined;
  }

  async outgoingRequests(requesterId: string, status: RequestStatus): Promise<RequestRecord[]> {
    return (this.stmt(SQL.outgoing).all(requesterId, status) as RequestRow[]).map(toRequest);
  }

  async incomingRequests(recipientId: string, status: RequestStatus): Promise<RequestRecord[]> {
    return (this.stmt(SQL.incoming).all(recipientId, status) as RequestRow[]).map(toRequest);
  }

  async contactsOf(accountId: string): Promise<Since[]> {
    return (this.stmt(SQL.contactsOf).all(accountId, accountId, accountId) as { account_id: string; since: number }[]).map(toSince);
  }

  async putPendingRequest(requesterId: string, recipientId: string, now: number): Promise<void> {
    this.stmt(SQL.putPending).run(requesterId, recipientId, now, now);
  }

  async recordRequest(requesterId: string, recipientId: string, teen: boolean, now: number, allowance?: RequestAllowance): Promise<boolean> {
    return this.transaction(() => {
      if (allowance && this.count(requesterId, ["request"], allowance.since, true) >= allowance.max) return false;
      this.stmt(SQL.recordEvent).run(requesterId, "request", recipientId, now);
      if (teen) this.stmt(SQL.recordEvent).run(requesterId, "request-teen", recipientId, now);
      return true;
    });
  }

  async bindGroup(requesterId: string, recipientId: string, groupId: Uint8Array): Promise<void> {
    this.stmt(SQL.bindGroup).run(recipientId, groupId, requesterId);
  }

  async groupRequestState(groupId: Uint8Array): Promise<GroupRequestState> {
    return toGroupState(this.stmt(SQL.groupRequests).all(groupId) as { recipient_id: string; status: string }[]);
  }

  async pendingGroupsOf(recipientId: string): Promise<Uint8Array[]> {
    return (this.stmt(SQL.pendingGroupsOf).all(recipientId) as { group_id: Buffer }[]).map((r) => bytes(r.group_id));
  }

  async pendingRequestVia(groupId: Uint8Array, recipientId: string): Promise<string | undefined> {
    return (this.stmt(SQL.pendingVia).get(groupId, recipientId) as { requester_id: string } | undefined)?.requester_id;
  }

  async accept(recipientId: string, requesterId: string, now: number): Promise<void> {
    this.transaction(() => {
      this.stmt(SQL.unblock).run(recipientId, requesterId);
      this.stmt(SQL.accept).run(requesterId, recipientId, now, now);
    });
  }

  async decline(recipientId: string, requesterId: string, now: number): Promise<boolean> {
    return this.transaction(() => {
      if (this.stmt(SQL.decline).run(now, requesterId, recipientId).changes === 0) return false;
      this.stmt(SQL.recordEvent).run(requesterId, "request-declined", recipientId, now);
      this.stmt(SQL.dropQueuedFrom).run(recipientId, requesterId);
      return true;
    });
  }

  async isBlocked(blockerId: string, blockedId: string): Promise<boolean> {
    return this.stmt(SQL.isBlocked).get(blockerId, blockedId) !== undefined;
  }

  async refusersOf(accountId: string): Promise<ReadonlySet<string>> {
    return new Set((this.stmt(SQL.refusers).all(accountId, accountId) as { account_id: string }[]).map((r) => r.account_id));
  }

  async block(blockerId: string, blockedId: string, now: number): Promise<boolean> {
    return this.transaction(() => {
      const added = this.stmt(SQL.block).run(blockerId, blockedId, now).changes > 0;
      const refused = added && this.stmt(SQL.isPending).get(blockedId, blockerId) !== undefined;
      if (refused) this.stmt(SQL.recordEvent).run(blockedId, "request-blocked", blockerId, now);
      this.stmt(SQL.dropQueuedFrom).run(blockerId, blockedId);
      return refused;
    });
  }

  async unblock(blockerId: string, blockedId: string): Promise<boolean> {
    return this.stmt(SQL.unblock).run(blockerId, blockedId).changes > 0;
  }

  async blocksOf(blockerId: string): Promise<Since[]> {
    return (this.stmt(SQL.blocksOf).all(blockerId) as { account_id: string; since: number }[]).map(toSince);
  }

  async dropQueueRows(rows: { deviceId: string; messageId: string }[]): Promise<void> {
    const del = this.stmt("DELETE FROM queue WHERE device_id = ? AND message_id = ?");
    this.transaction(() => {
      for (const r of rows) del.run(r.deviceId, r.messageId);
    });
  }

  async inbound(accountId: string): Promise<string | undefined> {
    return (this.stmt(SQL.inbound).get(accountId) as { inbound: string } | undefined)?.inbound;
  }

  async setInbound(accountId: string, inbound: string, now: number): Promise<void> {
    this.stmt(SQL.setInbound).run(accountId, inbound, now);
  }

  async countEvents(accountId: string, kinds: string[], since: number, distinct: boolean): Promise<number> {
    return this.count(accountId, kinds, since, distinct);
  }

  private count(accountId: string, kinds: string[], since: number, distinct: boolean): number {
    return (this.stmt(SQL.countEvents(kinds.length, distinct)).get(accountId, ...kinds, since) as { n: number }).n;
  }

  async pruneEvents(before: number): Promise<number> {
    return this.stmt(SQL.pruneEvents).run(before).changes;
  }

  async countReports(accountId: string, since: number): Promise<number> {
    return (this.stmt(SQL.countReports).get(accountId, since) as { n: number }).n;
  }

  async requestedSince(requesterId: string, since: number): Promise<string[]> {
    return (this.stmt(SQL.requestedSince).all(requesterId, since) as { recipient_id: string }[]).map((r) => r.recipient_id);
  }

  async fireRule(accountId: string, rule: string, actions: NewAction[]): Promise<boolean> {
    return this.transaction(() => {
      if (this.stmt(SQL.ruleActive).get(accountId, rule) !== undefined) return false;
      for (const a of actions) this.stmt(SQL.addAction).run(a.actionId, a.accountId, a.action, a.rule, a.detail, a.createdAt, a.createdBy);
      return true;
    });
  }

  async activeActions(accountId: string): Promise<ActionRecord[]> {
    return (this.stmt(SQL.activeActions).all(accountId) as ActionRow[]).map(toAction);
  }

  async lastLift(accountId: string, rule: string): Promise<number | undefined> {
    return (this.stmt(SQL.lastLift).get(accountId, rule) as { t: number | null }).t ?? undefined;
  }

  async listActions(accountId: string | undefined, activeOnly: boolean, limit: number): Promise<ActionRecord[]> {
    const args: (string | number)[] = accountId ? [accountId, limit] : [limit];
    return (this.stmt(SQL.listActions(accountId !== undefined, activeOnly)).all(...args) as ActionRow[]).map(toAction);
  }

  async liftActions(accountId: string, by: string, now: number): Promise<number> {
    return this.stmt(SQL.liftActions).run(now, by, accountId).changes;
  }

  async notify(recipientId: string, subjectId: string, reason: string, event: AccountEvent): Promise<Delivery[]> {
    return this.transaction(() => {
      if (this.stmt(SQL.addNotice).run(recipientId, subjectId, reason, event.sentAt).changes === 0) return [];
      const devices = this.stmt(SQL.accountDevices).all(recipientId) as { device_id: string }[];
      return this.enqueue(event, devices.map((d) => d.device_id));
    });
  }

  async noticesAbout(recipientId: string, subjectId: string): Promise<string[]> {
    return (this.stmt(SQL.noticesAbout).all(recipientId, subjectId) as { reason: string }[]).map((r) => r.reason);
  }

  async accountsOfDevices(deviceIds: string[]): Promise<Map<string, string>> {
    const q = this.stmt("SELECT account_id FROM devices WHERE device_id = ?");
    const out = new Map<string, string>();
    for (const d of new Set(deviceIds)) {
      const row = q.get(d) as { account_id: string } | undefined;
      if (row) out.set(d, row.account_id);
    }
    return out;
  }
}
