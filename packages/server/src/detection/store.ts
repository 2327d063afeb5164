/**
 * Storage for known-image detection (docs/known-images.md), on the server's SQLite file (schema v5 in
 * storage/migrations.ts). Its own connection, like the safety store: the tables are this feature's.
 */
import { bytes } from "../storage/bytes.js";
import { FeatureStore, openFeatureDb } from "../storage/featureDb.js";

export type ListStatus = "active" | "retired";

export interface HashListRecord {
  listId: string;
  name: string;
  sourceOrg: string;
  threshold: number;
  status: ListStatus;
  hashCount: number;
  distinctCount: number;
  importedBy: string;
  importedAt: number;
  retiredBy: string | undefined;
  retiredAt: number | undefined;
  replaces: string | undefined;
}

export interface ListEntryRow {
  hash: Uint8Array;
  entryId: string | undefined;
  label: string | undefined;
}

export type PictureStatus = "pending" | "ok" | "refused";

export interface PictureRecord {
  ownerKind: "account" | "group";
  ownerId: string;
  uploadedBy: string;
  status: PictureStatus;
  contentType: string;
  data: Uint8Array | undefined;
  sha256: Uint8Array;
  pdq: string | undefined;
  createdAt: number;
}

export interface EvidenceRecord {
  evidenceId: string;
  kind: "profile-picture" | "group-picture" | "report-attachment";
  subjectAccountId: string;
  reportId: string | undefined;
  name: string;
  contentType: string;
  size: number;
  sha256: Uint8Array;
  pdq: string | undefined;
  quality: number | undefined;
  /** JSON: the list matches ({listId, sourceOrg, distance, entryId, label}[]). */
  matches: string;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
  createdAt: number;
  expiresAt: number;
  viewedByEsp: boolean;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/* eslint-disable @typescript-eslint/no-explicit-any */
function toList(r: any): HashListRecord {
  return {
    listId: r.list_id,
    name: r.name,
    sourceOrg: r.source_org,
    threshold: r.threshold,
    status: r.status === "retired" ? "retired" : "active",
    hashCount: r.hash_count,
    distinctCount: r.distinct_count,
    importedBy: r.imported_by,
    importedAt: r.imported_at,
    retiredBy: opt(r.retired_by),
    retiredAt: opt(r.retired_at),
    replaces: opt(r.replaces),
  };
}

function toEvidence(r: any): EvidenceRecord {
  return {
    evidenceId: r.evidence_id,
    kind: r.kind,
    subjectAccountId: r.subject_account,
    reportId: opt(r.report_id),
    name: r.name,
    contentType: r.content_type,
    size: r.size,
    sha256: bytes(r.sha256),
    pdq: opt(r.pdq),
    quality: opt(r.quality),
    matches: r.matches,
    nonce: bytes(r.nonce),
    ciphertext: bytes(r.ciphertext),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    viewedByEsp: r.viewed_by_esp === 1,
  };
}

export class DetectionStore extends FeatureStore {
  static open(dataDir: string): DetectionStore {
    return new DetectionStore(openFeatureDb(dataDir));
  }

  // ---- hash lists ----------------------------------------------------------------------------------

  insertList(list: HashListRecord, entries: Iterable<ListEntryRow>): void {
    this.transaction(() => {
      this.stmt(
        `INSERT INTO hash_lists (list_id, name, source_org, threshold, status, hash_count, distinct_count, imported_by, imported_at, replaces)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(list.listId, list.name, list.sourceOrg, list.threshold, list.status, list.hashCount, list.distinctCount, list.importedBy, list.importedAt, list.replaces ?? null);
      const insert = this.stmt("INSERT INTO hash_list_entries (list_id, position, hash, entry_id, label) VALUES (?, ?, ?, ?, ?)");
      let i = 0;
      for (const e of entries) insert.run(list.listId, i++, e.hash, e.entryId ?? null, e.label ?? null);
    });
  }

  retireList(listId: string, by: string, at: number): boolean {
    return this.stmt("UPDATE hash_lists SET status = 'retired', retired_by = ?, retired_at = ? WHERE list_id = ? AND status = 'active'").run(by, at, listId).changes === 1;
  }

  getList(listId: string): HashListRecord | undefined {
    const row = this.stmt("SELECT * FROM hash_lists WHERE list_id = ?").get(listId);
    return row === undefined ? undefined : toList(row);
  }

  lists(status?: ListStatus): HashListRecord[] {
    const rows = status ? this.stmt("SELECT * FROM hash_lists WHERE status = ? ORDER BY imported_at, list_id").all(status) : this.stmt("SELECT * FROM hash_lists ORDER BY imported_at, list_id").all();
    return rows.map(toList);
  }

  /** Hashes of a list in position order (packed 32-byte rows). */
  *entries(listId: string): Generator<ListEntryRow> {
    for (const r of this.db.prepare("SELECT hash, entry_id, label FROM hash_list_entries WHERE list_id = ? ORDER BY position").iterate(listId) as IterableIterator<{
      hash: Buffer;
      entry_id: string | null;
      label: string | null;
    }>) {
      yield { hash: bytes(r.hash), entryId: opt(r.entry_id), label: opt(r.label) };
    }
  }

  entryAt(listId: string, position: number): { entryId: string | undefined; label: string | undefined } | undefined {
    const r = this.stmt("SELECT entry_id, label FROM hash_list_entries WHERE list_id = ? AND position = ?").get(listId, position) as
      | { entry_id: string | null; label: string | null }
      | undefined;
    return r && { entryId: opt(r.entry_id), label: opt(r.label) };
  }

  // ---- pictures --------------------------------------------------------------------------------------

  putPicture(p: PictureRecord): void {
    this.stmt(
      `INSERT INTO pictures (owner_kind, owner_id, uploaded_by, status, content_type, data, sha256, pdq, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (owner_kind, owner_id) DO UPDATE SET uploaded_by = excluded.uploaded_by, status = excluded.status,
         content_type = excluded.content_type, data = excluded.data, sha256 = excluded.sha256, pdq = excluded.pdq,
         created_at = excluded.created_at, checked_at = NULL`,
    ).run(p.ownerKind, p.ownerId, p.uploadedBy, p.status, p.contentType, p.data ?? null, p.sha256, p.pdq ?? null, p.createdAt);
  }

  /**
   * Applies a check's verdict to the picture if it is still the one that was checked (same SHA-256). The
   * bytes are written only with an "ok" verdict: unchecked or refused images never reach the database file.
   */
  setPictureStatus(ownerKind: string, ownerId: string, sha256: Uint8Array, status: PictureStatus, pdq: string | undefined, at: number, data?: Uint8Array): void {
    this.stmt(
      `UPDATE pictures SET status = ?, pdq = ?, checked_at = ?, data = ?
       WHERE owner_kind = ? AND owner_id = ? AND sha256 = ?`,
    ).run(status, pdq ?? null, at, status === "ok" && data ? data : null, ownerKind, ownerId, sha256);
  }

  getPicture(ownerKind: string, ownerId: string): PictureRecord | undefined {
    const r = this.stmt("SELECT * FROM pictures WHERE owner_kind = ? AND owner_id = ?").get(ownerKind, ownerId) as any;
    if (r === undefined) return undefined;
    return {
      ownerKind: r.owner_kind,
      ownerId: r.owner_id,
      uploadedBy: r.uploaded_by,
      status: r.status,
      contentType: r.content_type,
      data: r.data === null ? undefined : bytes(r.data),
      sha256: bytes(r.sha256),
      pdq: opt(r.pdq),
      createdAt: r.created_at,
    };
  }

  // ---- evidence --------------------------------------------------------------------------------------

  putEvidence(e: EvidenceRecord): void {
    this.stmt(
      `INSERT INTO evidence (evidence_id, kind, subject_account, report_id, name, content_type, size, sha256, pdq, quality, matches,
         nonce, ciphertext, created_at, expires_at, viewed_by_esp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      e.evidenceId, e.kind, e.subjectAccountId, e.reportId ?? null, e.name, e.contentType, e.size, e.sha256, e.pdq ?? null,
      e.quality ?? null, e.matches, e.nonce, e.ciphertext, e.createdAt, e.expiresAt, e.viewedByEsp ? 1 : 0,
    );
  }

  attachEvidence(evidenceId: string, reportId: string): void {
    this.stmt("UPDATE evidence SET report_id = ? WHERE evidence_id = ?").run(reportId, evidenceId);
  }

  markViewed(evidenceId: string): void {
    this.stmt("UPDATE evidence SET viewed_by_esp = 1 WHERE evidence_id = ?").run(evidenceId);
  }

  getEvidence(evidenceId: string): EvidenceRecord | undefined {
    const r = this.stmt("SELECT * FROM evidence WHERE evidence_id = ?").get(evidenceId);
    return r === undefined ? undefined : toEvidence(r);
  }

  evidenceForReport(reportId: string): EvidenceRecord[] {
    return this.stmt("SELECT * FROM evidence WHERE report_id = ? ORDER BY created_at, evidence_id").all(reportId).map(toEvidence);
  }

  /** Deletes expired evidence; returns what was deleted (ids and digests, for the custody log). */
  takeExpiredEvidence(now: number): { evidenceId: string; sha256: Uint8Array }[] {
    return this.transaction(() => {
      const rows = this.stmt("SELECT evidence_id, sha256 FROM evidence WHERE expires_at <= ?").all(now) as { evidence_id: string; sha256: Buffer }[];
      const del = this.stmt("DELETE FROM evidence WHERE evidence_id = ?");
      for (const r of rows) del.run(r.evidence_id);
      return rows.map((r) => ({ evidenceId: r.evidence_id, sha256: bytes(r.sha256) }));
    });
  }

  // ---- queue items and authority reports -----------------------------------------------------------

  putDetectionItem(reportId: string, priority: "high" | "normal", source: string, flagged: boolean, at: number): void {
    this.stmt(
      `INSERT INTO detection_items (report_id, priority, source, flagged, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (report_id) DO UPDATE SET priority = excluded.priority, flagged = excluded.flagged`,
    ).run(reportId, priority, source, flagged ? 1 : 0, at);
  }

  detectionItem(reportId: string): { priority: string; source: string; flagged: boolean; createdAt: number } | undefined {
    const r = this.stmt("SELECT * FROM detection_items WHERE report_id = ?").get(reportId) as
      | { priority: string; source: string; flagged: number; created_at: number }
      | undefined;
    return r && { priority: r.priority, source: r.source, flagged: r.flagged === 1, createdAt: r.created_at };
  }

  detectionItems(): { reportId: string; priority: string; source: string; flagged: boolean; createdAt: number }[] {
    return (this.stmt("SELECT * FROM detection_items ORDER BY created_at DESC").all() as { report_id: string; priority: string; source: string; flagged: number; created_at: number }[]).map(
      (r) => ({ reportId: r.report_id, priority: r.priority, source: r.source, flagged: r.flagged === 1, createdAt: r.created_at }),
    );
  }

  putAuthorityReport(r: { reportId: string; producedBy: string; producedAt: number; jsonPath: string; xmlPath: string; jsonSha256: Uint8Array }): void {
    this.stmt(
      `INSERT INTO authority_reports (report_id, produced_by, produced_at, json_path, xml_path, json_sha256) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (report_id) DO UPDATE SET produced_by = excluded.produced_by, produced_at = excluded.produced_at,
         json_path = excluded.json_path, xml_path = excluded.xml_path, json_sha256 = excluded.json_sha256`,
    ).run(r.reportId, r.producedBy, r.producedAt, r.jsonPath, r.xmlPath, r.jsonSha256);
  }

  // ---- shared tables (read only) ----------------------------------------------------------------------

  accountName(accountId: string): string | undefined {
    return (this.stmt("SELECT name FROM accounts WHERE account_id = ?").get(accountId) as { name: string } | undefined)?.name;
  }

  role(accountId: string): string {
    return (this.stmt("SELECT role FROM accounts WHERE account_id = ?").get(accountId) as { role: string } | undefined)?.role ?? "user";
  }

  /** Audit entries in [from, to), oldest first (transparency figures). */
  auditBetween(from: number, to: number): { at: number; action: string; detail: string }[] {
    return this.stmt("SELECT at, action, detail FROM audit_log WHERE at >= ? AND at < ? ORDER BY seq").all(from, to) as { at: number; action: string; detail: string }[];
  }
}
