/**
 * Reports, decisions, roles and the audit log on PostgreSQL (schema v2 in migrations.ts). The audit
 * chain is appended under a transaction-scoped advisory lock, so two nodes auditing at once take turns
 * and never fork it (each entry's prev_hash is the hash of the entry before it in seq order).
 */
import type { FrankProof } from "@safelight/protocol";
import {
  GENESIS,
  chainHash,
  roleOf,
  summary,
  toAudit,
  toDecision,
  withMessages,
  type AuditEntry,
  type AuditRow,
  type DecisionRecord,
  type DecisionRow,
  type ModerationStore,
  type ReportMessageRow,
  type ReportRecord,
  type ReportRow,
  type ReportSummaryRecord,
  type Role,
} from "../moderation.js";
import { inTransaction, isUniqueViolation, millis, ts, type Pool } from "./pool.js";

/** Names the audit-chain lock (pg_advisory_xact_lock takes a bigint). */
const AUDIT_LOCK = 0x5afe_a0d1;

const SUMMARY_SQL = `SELECT r.report_id, r.reporter_account, r.reported_message_id, r.reported_account, r.group_id, r.reason,
    r.note, ${millis("r.created_at", "created_at")}, r.status,
    (SELECT count(*) FROM report_messages m WHERE m.report_id = r.report_id) AS message_count
  FROM reports r`;

export class PgModerationStore implements ModerationStore {
  constructor(private readonly pool: Pool) {}

  async insertReport(report: ReportRecord): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      try {
        await c.query(
          `INSERT INTO reports (report_id, reporter_account, reported_message_id, reported_account, group_id, reason, note, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [report.reportId, report.reporterAccountId, report.reportedMessageId, report.reportedAccountId, report.groupId, report.reason, report.note, ts(report.createdAt)],
        );
      } catch (err) {
        if (isUniqueViolation(err, "reports_once")) return false;
        throw err;
      }
      for (const [i, m] of report.messages.entries()) {
        await c.query(
          `INSERT INTO report_messages (report_id, position, message_id, sender_account, accepted_at, content, key_id,
             server_frank, signature, proof, verified) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [report.reportId, i, m.messageId, m.senderAccountId, ts(m.acceptedAt), m.content, m.keyId, m.serverFrank, m.signature, m.proof ? JSON.stringify(m.proof) : null, m.verified],
        );
      }
      return true;
    });
  }

  async listReports(status: "open" | "decided" | "all"): Promise<ReportSummaryRecord[]> {
    const { rows } =
      status === "all"
        ? await this.pool.query<ReportRow>(`${SUMMARY_SQL} ORDER BY r.created_at DESC`)
        : await this.pool.query<ReportRow>(`${SUMMARY_SQL} WHERE r.status = $1 ORDER BY r.created_at DESC`, [status]);
    return rows.map(summary);
  }

  async getReport(reportId: string): Promise<ReportRecord | undefined> {
    const { rows } = await this.pool.query<ReportRow>(`${SUMMARY_SQL} WHERE r.report_id = $1`, [reportId]);
    if (rows[0] === undefined) return undefined;
    const messages = await this.pool.query<ReportMessageRow & { proof: FrankProof | null }>(
      `SELECT message_id, sender_account, ${millis("accepted_at")}, content, key_id, server_frank, signature, proof, verified
       FROM report_messages WHERE report_id = $1 ORDER BY position`,
      [reportId],
    );
    return withMessages(rows[0], messages.rows.map((m) => ({ ...m, proof: m.proof ?? undefined })));
  }

  async reportsAbout(accountId: string): Promise<{ against: ReportSummaryRecord[]; by: ReportSummaryRecord[] }> {
    const q = async (column: string) =>
      (await this.pool.query<ReportRow>(`${SUMMARY_SQL} WHERE r.${column} = $1 ORDER BY r.created_at DESC`, [accountId])).rows.map(summary);
    return { against: await q("reported_account"), by: await q("reporter_account") };
  }

  async decide(d: DecisionRecord): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await c.query(
        `INSERT INTO decisions (decision_id, report_id, subject_account, moderator_account, action, note, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [d.decisionId, d.reportId ?? null, d.subjectAccountId, d.moderatorAccountId, d.action, d.note, ts(d.createdAt)],
      );
      if (d.reportId) await c.query("UPDATE reports SET status = 'decided' WHERE report_id = $1", [d.reportId]);
      if (d.action === "ban") {
        await c.query("UPDATE accounts SET banned_at = $1 WHERE account_id = $2 AND banned_at IS NULL", [ts(d.createdAt), d.subjectAccountId]);
        await c.query("DELETE FROM sessions WHERE account_id = $1", [d.subjectAccountId]);
      }
    });
  }

  async decisionsAbout(accountId: string): Promise<DecisionRecord[]> {
    const { rows } = await this.pool.query<DecisionRow>(
      `SELECT decision_id, report_id, subject_account, moderator_account, action, note, ${millis("created_at")}
       FROM decisions WHERE subject_account = $1 ORDER BY created_at DESC`,
      [accountId],
    );
    return rows.map(toDecision);
  }

  async getRole(accountId: string): Promise<Role> {
    const { rows } = await this.pool.query<{ role: string }>("SELECT role FROM accounts WHERE account_id = $1", [accountId]);
    return roleOf(rows[0]?.role);
  }

  async setRole(name: string, role: Role): Promise<boolean> {
    return (await this.pool.query("UPDATE accounts SET role = $1 WHERE name = $2", [role, name])).rowCount === 1;
  }

  async isBanned(accountId: string): Promise<boolean> {
    const { rows } = await this.pool.query("SELECT 1 FROM accounts WHERE account_id = $1 AND banned_at IS NOT NULL", [accountId]);
    return rows.length > 0;
  }

  async audit(entry: Omit<AuditEntry, "seq" | "hash">): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await c.query("SELECT pg_advisory_xact_lock($1)", [AUDIT_LOCK]);
      const last = await c.query<{ hash: Buffer }>("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1");
      const prev = last.rows[0]?.hash ?? GENESIS;
      await c.query(
        "INSERT INTO audit_log (at, actor_account, action, subject, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [ts(entry.at), entry.actorAccountId, entry.action, entry.subject, entry.detail, prev, chainHash(prev, entry)],
      );
    });
  }

  async listAudit(limit: number): Promise<AuditEntry[]> {
    const { rows } = await this.pool.query<AuditRow>(`${AUDIT_SQL} ORDER BY seq DESC LIMIT $1`, [limit]);
    return rows.map(toAudit);
  }

  async auditBetween(from: number, to: number): Promise<AuditEntry[]> {
    const { rows } = await this.pool.query<AuditRow>(`${AUDIT_SQL} WHERE at >= $1 AND at < $2 ORDER BY seq`, [ts(from), ts(to)]);
    return rows.map(toAudit);
  }

  async verifyAuditChain(): Promise<number | undefined> {
    // Read in pages so a long log is not held in memory at once.
    let prev: Buffer = GENESIS;
    for (let after = 0; ; ) {
      const { rows } = await this.pool.query<AuditRow>(`${AUDIT_SQL} WHERE seq > $1 ORDER BY seq LIMIT 1000`, [after]);
      if (rows.length === 0) return undefined;
      for (const row of rows) {
        if (!row.prev_hash.equals(prev) || !chainHash(prev, toAudit(row)).equals(row.hash)) return row.seq;
        prev = row.hash;
        after = row.seq;
      }
    }
  }
}

const AUDIT_SQL = `SELECT seq, ${millis("at")}, actor_account, action, subject, detail, prev_hash, hash FROM audit_log`;
