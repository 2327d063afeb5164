/**
 * Known-image detection on PostgreSQL (schema v4 in migrations.ts), shared by every node. A hash list
 * of millions of entries is written in batches of INSERT … SELECT FROM unnest(…) inside one transaction,
 * and read back a page of positions per query, aggregated into one bytea.
 */
import {
  toDetectionItem,
  toEntry,
  toEvidence,
  toList,
  toPicture,
  type AuthorityReportRecord,
  type DetectionItem,
  type DetectionItemRow,
  type DetectionStore,
  type EvidenceRecord,
  type EvidenceRow,
  type HashListRecord,
  type HashListRow,
  type ListEntryRow,
  type ListStatus,
  type PictureRecord,
  type PictureRow,
  type PictureStatus,
} from "../detection.js";
import { bytes } from "../bytes.js";
import { inTransaction, millis, ts, type Client, type Pool } from "./pool.js";

/** Rows per INSERT while importing a list: large enough that per-statement cost vanishes, small enough
 *  that the parameter arrays stay a few hundred kilobytes. */
const IMPORT_BATCH = 10_000;
/** Positions per query while reading a list's hashes back (2 MiB of hashes each). */
const READ_PAGE = 65_536;

const LIST_SQL = `SELECT list_id, name, source_org, threshold, status, hash_count, distinct_count, imported_by,
    ${millis("imported_at")}, retired_by, ${millis("retired_at")}, replaces FROM hash_lists`;
const PICTURE_SQL = `SELECT owner_kind, owner_id, uploaded_by, status, content_type, data, sha256, pdq, ${millis("created_at")} FROM pictures`;
const EVIDENCE_SQL = `SELECT evidence_id, kind, subject_account, report_id, name, content_type, size, sha256, pdq, quality, matches,
    nonce, ciphertext, ${millis("created_at")}, ${millis("expires_at")}, viewed_by_esp FROM evidence`;
const ITEM_SQL = `SELECT report_id, priority, source, flagged, ${millis("created_at")} FROM detection_items`;

async function retire(c: Pool | Client, listId: string, by: string, at: number): Promise<boolean> {
  const { rowCount } = await c.query("UPDATE hash_lists SET status = 'retired', retired_by = $1, retired_at = $2 WHERE list_id = $3 AND status = 'active'", [by, ts(at), listId]);
  return rowCount === 1;
}

export class PgDetectionStore implements DetectionStore {
  constructor(private readonly pool: Pool) {}

  async insertList(list: HashListRecord, entries: readonly ListEntryRow[]): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      // The row lock the UPDATE takes makes two nodes replacing the same list take turns: the second finds it retired.
      if (list.replaces !== undefined && !(await retire(c, list.replaces, list.importedBy, list.importedAt))) return false;
      await c.query(
        `INSERT INTO hash_lists (list_id, name, source_org, threshold, status, hash_count, distinct_count, imported_by, imported_at, replaces)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [list.listId, list.name, list.sourceOrg, list.threshold, list.status, list.hashCount, list.distinctCount, list.importedBy, ts(list.importedAt), list.replaces ?? null],
      );
      for (let start = 0; start < entries.length; start += IMPORT_BATCH) {
        const batch = entries.slice(start, start + IMPORT_BATCH);
        // The batch's hashes go as one bytea, which node-postgres sends in binary, and the server cuts it
        // into rows (a bytea[] parameter would travel as hex text): about a third faster.
        await c.query(
          `INSERT INTO hash_list_entries (list_id, position, hash, entry_id, label)
           SELECT $1, $2 + e.i - 1, substring($3::bytea FROM (e.i::int - 1) * 32 + 1 FOR 32), e.entry_id, e.label
           FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS e(entry_id, label, i)`,
          [list.listId, start, Buffer.concat(batch.map((e) => e.hash)), batch.map((e) => e.entryId ?? null), batch.map((e) => e.label ?? null)],
        );
      }
      return true;
    });
  }

  async retireList(listId: string, by: string, at: number): Promise<boolean> {
    return retire(this.pool, listId, by, at);
  }

  async getList(listId: string): Promise<HashListRecord | undefined> {
    const { rows } = await this.pool.query<HashListRow>(`${LIST_SQL} WHERE list_id = $1`, [listId]);
    return rows[0] && toList(rows[0]);
  }

  async lists(status?: ListStatus): Promise<HashListRecord[]> {
    const { rows } = status
      ? await this.pool.query<HashListRow>(`${LIST_SQL} WHERE status = $1 ORDER BY imported_at, list_id`, [status])
      : await this.pool.query<HashListRow>(`${LIST_SQL} ORDER BY imported_at, list_id`);
    return rows.map(toList);
  }

  async listHashes(listId: string): Promise<Buffer> {
    // One bytea per page rather than a row per hash: a million rows would cost far more to decode.
    const { rows } = await this.pool.query<{ n: number }>("SELECT count(*) AS n FROM hash_list_entries WHERE list_id = $1", [listId]);
    const pages: Buffer[] = [];
    for (let start = 0; start < rows[0]!.n; start += READ_PAGE) {
      const page = await this.pool.query<{ hashes: Buffer | null }>(
        "SELECT string_agg(hash, ''::bytea ORDER BY position) AS hashes FROM hash_list_entries WHERE list_id = $1 AND position >= $2 AND position < $3",
        [listId, start, start + READ_PAGE],
      );
      if (page.rows[0]?.hashes) pages.push(page.rows[0].hashes);
    }
    return Buffer.concat(pages);
  }

  async entryAt(listId: string, position: number): Promise<{ entryId: string | undefined; label: string | undefined } | undefined> {
    const { rows } = await this.pool.query<{ entry_id: string | null; label: string | null }>(
      "SELECT entry_id, label FROM hash_list_entries WHERE list_id = $1 AND position = $2",
      [listId, position],
    );
    return rows[0] && toEntry(rows[0]);
  }

  async putPicture(p: PictureRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO pictures (owner_kind, owner_id, uploaded_by, status, content_type, data, sha256, pdq, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (owner_kind, owner_id) DO UPDATE SET uploaded_by = excluded.uploaded_by, status = excluded.status,
         content_type = excluded.content_type, data = excluded.data, sha256 = excluded.sha256, pdq = excluded.pdq,
         created_at = excluded.created_at, checked_at = NULL`,
      [p.ownerKind, p.ownerId, p.uploadedBy, p.status, p.contentType, p.data ?? null, p.sha256, p.pdq ?? null, ts(p.createdAt)],
    );
  }

  async setPictureStatus(ownerKind: string, ownerId: string, sha256: Uint8Array, status: PictureStatus, pdq: string | undefined, at: number, data?: Uint8Array): Promise<void> {
    await this.pool.query(
      "UPDATE pictures SET status = $1, pdq = $2, checked_at = $3, data = $4 WHERE owner_kind = $5 AND owner_id = $6 AND sha256 = $7",
      [status, pdq ?? null, ts(at), status === "ok" && data ? data : null, ownerKind, ownerId, sha256],
    );
  }

  async getPicture(ownerKind: string, ownerId: string): Promise<PictureRecord | undefined> {
    const { rows } = await this.pool.query<PictureRow>(`${PICTURE_SQL} WHERE owner_kind = $1 AND owner_id = $2`, [ownerKind, ownerId]);
    return rows[0] && toPicture(rows[0]);
  }

  async putEvidence(e: EvidenceRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO evidence (evidence_id, kind, subject_account, report_id, name, content_type, size, sha256, pdq, quality, matches,
         nonce, ciphertext, created_at, expires_at, viewed_by_esp) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [
        e.evidenceId, e.kind, e.subjectAccountId, e.reportId ?? null, e.name, e.contentType, e.size, e.sha256, e.pdq ?? null,
        e.quality ?? null, e.matches, e.nonce, e.ciphertext, ts(e.createdAt), ts(e.expiresAt), e.viewedByEsp,
      ],
    );
  }

  async attachEvidence(evidenceId: string, reportId: string): Promise<void> {
    await this.pool.query("UPDATE evidence SET report_id = $1 WHERE evidence_id = $2", [reportId, evidenceId]);
  }

  async markViewed(evidenceId: string): Promise<void> {
    await this.pool.query("UPDATE evidence SET viewed_by_esp = true WHERE evidence_id = $1", [evidenceId]);
  }

  async getEvidence(evidenceId: string): Promise<EvidenceRecord | undefined> {
    const { rows } = await this.pool.query<EvidenceRow>(`${EVIDENCE_SQL} WHERE evidence_id = $1`, [evidenceId]);
    return rows[0] && toEvidence(rows[0]);
  }

  async evidenceForReport(reportId: string): Promise<EvidenceRecord[]> {
    const { rows } = await this.pool.query<EvidenceRow>(`${EVIDENCE_SQL} WHERE report_id = $1 ORDER BY created_at, evidence_id`, [reportId]);
    return rows.map(toEvidence);
  }

  async takeExpiredEvidence(now: number): Promise<{ evidenceId: string; sha256: Uint8Array }[]> {
    // One statement: two nodes sweeping at once each delete (and report for the custody log) different rows.
    const { rows } = await this.pool.query<{ evidence_id: string; sha256: Buffer }>("DELETE FROM evidence WHERE expires_at <= $1 RETURNING evidence_id, sha256", [ts(now)]);
    return rows.map((r) => ({ evidenceId: r.evidence_id, sha256: bytes(r.sha256) }));
  }

  async putDetectionItem(item: DetectionItem): Promise<void> {
    await this.pool.query(
      `INSERT INTO detection_items (report_id, priority, source, flagged, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (report_id) DO UPDATE SET priority = excluded.priority, flagged = excluded.flagged`,
      [item.reportId, item.priority, item.source, item.flagged, ts(item.createdAt)],
    );
  }

  async detectionItem(reportId: string): Promise<DetectionItem | undefined> {
    const { rows } = await this.pool.query<DetectionItemRow>(`${ITEM_SQL} WHERE report_id = $1`, [reportId]);
    return rows[0] && toDetectionItem(rows[0]);
  }

  async detectionItems(): Promise<DetectionItem[]> {
    const { rows } = await this.pool.query<DetectionItemRow>(`${ITEM_SQL} ORDER BY created_at DESC`);
    return rows.map(toDetectionItem);
  }

  async putAuthorityReport(r: AuthorityReportRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO authority_reports (report_id, produced_by, produced_at, json_path, xml_path, json_sha256) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (report_id) DO UPDATE SET produced_by = excluded.produced_by, produced_at = excluded.produced_at,
         json_path = excluded.json_path, xml_path = excluded.xml_path, json_sha256 = excluded.json_sha256`,
      [r.reportId, r.producedBy, ts(r.producedAt), r.jsonPath, r.xmlPath, r.jsonSha256],
    );
  }
}
