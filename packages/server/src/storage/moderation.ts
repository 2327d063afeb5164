/**
 * Storage for verifiable reports and moderation (docs/franking.md, docs/moderation.md): reports with the
 * franked messages they reveal, moderator decisions, account roles and bans, and an append-only,
 * hash-chained audit log. Part of the one data-access layer: SqliteStorage exposes it as `moderation`.
 */
import { createHash } from "node:crypto";
import type Database from "better-sqlite3";
import type { FrankProof } from "@safelight/protocol";
import { bytes } from "./bytes.js";

export type ReportReason = "child_sexual_exploitation" | "grooming" | "harassment" | "spam" | "other";
export const REPORT_REASONS: readonly ReportReason[] = ["child_sexual_exploitation", "grooming", "harassment", "spam", "other"];
export type DecisionAction = "dismiss" | "warn" | "restrict" | "ban" | "escalate";
export const DECISION_ACTIONS: readonly DecisionAction[] = ["dismiss", "warn", "restrict", "ban", "escalate"];
export type Role = "user" | "moderator" | "admin";

export interface ReportedMessageRecord {
  messageId: string;
  senderAccountId: string;
  acceptedAt: number;
  content: Uint8Array;
  keyId: string;
  serverFrank: Uint8Array;
  /** The batch signature and this message's inclusion proof (docs/franking.md), so the stamp can be
   *  re-verified with the published key; no proof on reports stored before batch signing (v6). */
  signature: Uint8Array;
  proof: FrankProof | undefined;
  verified: boolean;
}

export interface ReportRecord {
  reportId: string;
  reporterAccountId: string;
  reportedMessageId: string;
  reportedAccountId: string;
  groupId: Uint8Array;
  reason: ReportReason;
  note: string;
  createdAt: number;
  status: "open" | "decided";
  /** Context first (oldest first), the reported message last. */
  messages: ReportedMessageRecord[];
}

export type ReportSummaryRecord = Omit<ReportRecord, "messages"> & { messageCount: number };

export interface DecisionRecord {
  decisionId: string;
  reportId: string | undefined;
  subjectAccountId: string;
  moderatorAccountId: string;
  action: DecisionAction;
  note: string;
  createdAt: number;
}

export interface AuditEntry {
  seq: number;
  at: number;
  actorAccountId: string;
  action: string;
  subject: string;
  detail: string;
  /** hex SHA-256(prev hash ‖ this entry), chaining every entry to all before it. */
  hash: string;
}

export interface ModerationStore {
  /** Returns false when this reporter already reported this message. */
  insertReport(report: ReportRecord): Promise<boolean>;
  listReports(status: "open" | "decided" | "all"): Promise<ReportSummaryRecord[]>;
  getReport(reportId: string): Promise<ReportRecord | undefined>;
  reportsAbout(accountId: string): Promise<{ against: ReportSummaryRecord[]; by: ReportSummaryRecord[] }>;
  /** Records the decision, closes the report, and applies a ban. */
  decide(decision: DecisionRecord): Promise<void>;
  decisionsAbout(accountId: string): Promise<DecisionRecord[]>;
  getRole(accountId: string): Promise<Role>;
  /** Returns false when there is no such account. */
  setRole(name: string, role: Role): Promise<boolean>;
  isBanned(accountId: string): Promise<boolean>;
  audit(entry: Omit<AuditEntry, "seq" | "hash">): Promise<void>;
  listAudit(limit: number): Promise<AuditEntry[]>;
  /** Entries with `from <= at < to`, oldest first (the transparency figures). */
  auditBetween(from: number, to: number): Promise<AuditEntry[]>;
  /** Recomputes the hash chain; the seq of the first broken entry, or undefined when intact. */
  verifyAuditChain(): Promise<number | undefined>;
}

type Db = Database.Database;

/** A reports row as both backends select it (times in milliseconds). */
export interface ReportRow {
  report_id: string;
  reporter_account: string;
  reported_message_id: string;
  reported_account: string;
  group_id: Buffer;
  reason: string;
  note: string;
  created_at: number;
  status: string;
  message_count?: number;
}

/** The hash the first audit entry chains to. */
export const GENESIS: Buffer = Buffer.alloc(32);

export function summary(r: ReportRow): ReportSummaryRecord {
  return {
    reportId: r.report_id,
    reporterAccountId: r.reporter_account,
    reportedMessageId: r.reported_message_id,
    reportedAccountId: r.reported_account,
    groupId: bytes(r.group_id),
    reason: r.reason as ReportReason,
    note: r.note,
    createdAt: r.created_at,
    status: r.status === "decided" ? "decided" : "open",
    messageCount: r.message_count ?? 0,
  };
}

export function chainHash(prev: Buffer, e: Omit<AuditEntry, "seq" | "hash">): Buffer {
  return createHash("sha256")
    .update(prev)
    .update(JSON.stringify([e.at, e.actorAccountId, e.action, e.subject, e.detail]))
    .digest();
}

const SUMMARY_SQL = `SELECT r.*, (SELECT COUNT(*) FROM report_messages m WHERE m.report_id = r.report_id) AS message_count
  FROM reports r`;

export class SqliteModerationStore implements ModerationStore {
  constructor(private readonly db: Db) {}

  async insertReport(report: ReportRecord): Promise<boolean> {
    return this.db.transaction(() => {
      const inserted = this.db
        .prepare(
          `INSERT OR IGNORE INTO reports (report_id, reporter_account, reported_message_id, reported_account, group_id,
             reason, note, created_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open')`,
        )
        .run(
          report.reportId,
          report.reporterAccountId,
          report.reportedMessageId,
          report.reportedAccountId,
          report.groupId,
          report.reason,
          report.note,
          report.createdAt,
        );
      if (inserted.changes === 0) return false;
      const insert = this.db.prepare(
        `INSERT INTO report_messages (report_id, position, message_id, sender_account, accepted_at, content, key_id,
           server_frank, signature, proof, verified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      report.messages.forEach((m, i) =>
        insert.run(
          report.reportId,
          i,
          m.messageId,
          m.senderAccountId,
          m.acceptedAt,
          m.content,
          m.keyId,
          m.serverFrank,
          m.signature,
          m.proof ? JSON.stringify(m.proof) : null,
          m.verified ? 1 : 0,
        ),
      );
      return true;
    })();
  }

  async listReports(status: "open" | "decided" | "all"): Promise<ReportSummaryRecord[]> {
    const rows =
      status === "all"
        ? this.db.prepare(`${SUMMARY_SQL} ORDER BY r.created_at DESC`).all()
        : this.db.prepare(`${SUMMARY_SQL} WHERE r.status = ? ORDER BY r.created_at DESC`).all(status);
    return (rows as ReportRow[]).map(summary);
  }

  async getReport(reportId: string): Promise<ReportRecord | undefined> {
    const row = this.db.prepare(`${SUMMARY_SQL} WHERE r.report_id = ?`).get(reportId) as ReportRow | undefined;
    if (!row) return undefined;
    const messages = this.db
      .prepare("SELECT * FROM report_messages WHERE report_id = ? ORDER BY position")
      .all(reportId) as {
      message_id: string;
      sender_account: string;
      accepted_at: number;
      content: Buffer;
      key_id: string;
      server_frank: Buffer;
      signature: Buffer;
      proof: string | null;
      verified: number;
    }[];
    return withMessages(
      row,
      messages.map((m) => ({ ...m, proof: m.proof === null ? undefined : (JSON.parse(m.proof) as FrankProof), verified: m.verified === 1 })),
    );
  }

  async reportsAbout(accountId: string): Promise<{ against: ReportSummaryRecord[]; by: ReportSummaryRecord[] }> {
    const q = (column: string) =>
      (this.db.prepare(`${SUMMARY_SQL} WHERE r.${column} = ? ORDER BY r.created_at DESC`).all(accountId) as ReportRow[]).map(summary);
    return { against: q("reported_account"), by: q("reporter_account") };
  }

  async decide(d: DecisionRecord): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO decisions (decision_id, report_id, subject_account, moderator_account, action, note, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(d.decisionId, d.reportId ?? null, d.subjectAccountId, d.moderatorAccountId, d.action, d.note, d.createdAt);
      if (d.reportId) this.db.prepare("UPDATE reports SET status = 'decided' WHERE report_id = ?").run(d.reportId);
      if (d.action === "ban") {
        this.db.prepare("UPDATE accounts SET banned_at = ? WHERE account_id = ? AND banned_at IS NULL").run(d.createdAt, d.subjectAccountId);
        this.db.prepare("DELETE FROM sessions WHERE account_id = ?").run(d.subjectAccountId);
      }
    })();
  }

  async decisionsAbout(accountId: string): Promise<DecisionRecord[]> {
    const rows = this.db
      .prepare("SELECT * FROM decisions WHERE subject_account = ? ORDER BY created_at DESC")
      .all(accountId) as DecisionRow[];
    return rows.map(toDecision);
  }

  async getRole(accountId: string): Promise<Role> {
    const row = this.db.prepare("SELECT role FROM accounts WHERE account_id = ?").get(accountId) as { role: string } | undefined;
    return roleOf(row?.role);
  }

  async setRole(name: string, role: Role): Promise<boolean> {
    return this.db.prepare("UPDATE accounts SET role = ? WHERE name = ?").run(role, name).changes === 1;
  }

  async isBanned(accountId: string): Promise<boolean> {
    const row = this.db.prepare("SELECT banned_at FROM accounts WHERE account_id = ?").get(accountId) as
      | { banned_at: number | null }
      | undefined;
    return row?.banned_at != null;
  }

  async audit(entry: Omit<AuditEntry, "seq" | "hash">): Promise<void> {
    this.db.transaction(() => {
      const last = this.db.prepare("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").get() as { hash: Buffer } | undefined;
      const prev = last?.hash ?? GENESIS;
      this.db
        .prepare("INSERT INTO audit_log (at, actor_account, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .run(entry.at, entry.actorAccountId, entry.action, entry.subject, entry.detail, prev, chainHash(prev, entry));
    })();
  }

  async listAudit(limit: number): Promise<AuditEntry[]> {
    const rows = this.db.prepare("SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?").all(limit) as AuditRow[];
    return rows.map(toAudit);
  }

  async auditBetween(from: number, to: number): Promise<AuditEntry[]> {
    const rows = this.db.prepare("SELECT * FROM audit_log WHERE at >= ? AND at < ? ORDER BY seq").all(from, to) as AuditRow[];
    return rows.map(toAudit);
  }

  async verifyAuditChain(): Promise<number | undefined> {
    let prev: Buffer = GENESIS;
    for (const row of this.db.prepare("SELECT * FROM audit_log ORDER BY seq").iterate() as IterableIterator<AuditRow>) {
      const entry = toAudit(row);
      if (!row.prev_hash.equals(prev) || !chainHash(prev, entry).equals(row.hash)) return row.seq;
      prev = row.hash;
    }
    return undefined;
  }
}

/** The role column as a Role: anything unknown is a plain user. */
export function roleOf(role: string | undefined): Role {
  return role === "moderator" || role === "admin" ? role : "user";
}

/** A report_messages row with its proof parsed and its flag a boolean (the backends store them differently). */
export interface ReportMessageRow {
  message_id: string;
  sender_account: string;
  accepted_at: number;
  content: Buffer;
  key_id: string;
  server_frank: Buffer;
  signature: Buffer;
  proof: FrankProof | undefined;
  verified: boolean;
}

export function withMessages(row: ReportRow, messages: ReportMessageRow[]): ReportRecord {
  const { messageCount: _count, ...rest } = summary(row);
  return {
    ...rest,
    messages: messages.map((m) => ({
      messageId: m.message_id,
      senderAccountId: m.sender_account,
      acceptedAt: m.accepted_at,
      content: bytes(m.content),
      keyId: m.key_id,
      serverFrank: bytes(m.server_frank),
      signature: bytes(m.signature),
      proof: m.proof,
      verified: m.verified,
    })),
  };
}

export interface DecisionRow {
  decision_id: string;
  report_id: string | null;
  subject_account: string;
  moderator_account: string;
  action: string;
  note: string;
  created_at: number;
}

export function toDecision(r: DecisionRow): DecisionRecord {
  return {
    decisionId: r.decision_id,
    reportId: r.report_id ?? undefined,
    subjectAccountId: r.subject_account,
    moderatorAccountId: r.moderator_account,
    action: r.action as DecisionAction,
    note: r.note,
    createdAt: r.created_at,
  };
}

export interface AuditRow {
  seq: number;
  at: number;
  actor_account: string;
  action: string;
  subject: string;
  detail: string;
  prev_hash: Buffer;
  hash: Buffer;
}

export function toAudit(r: AuditRow): AuditEntry {
  return {
    seq: r.seq,
    at: r.at,
    actorAccountId: r.actor_account,
    action: r.action,
    subject: r.subject,
    detail: r.detail,
    hash: r.hash.toString("hex"),
  };
}
