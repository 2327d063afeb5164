/**
 * Storage for known-image detection (docs/known-images.md): hash lists and their entries, pictures,
 * encrypted evidence, detection queue items and authority reports. Part of the one data-access layer:
 * both Storage implementations expose it as `detection` (this file: the interface, the row mappers both
 * backends share, and the SQLite implementation on the storage's own connection).
 */
import type Database from "better-sqlite3";
import { bytes } from "./bytes.js";

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

export interface DetectionItem {
  reportId: string;
  priority: "high" | "normal";
  source: string;
  flagged: boolean;
  createdAt: number;
}

export interface AuthorityReportRecord {
  reportId: string;
  producedBy: string;
  producedAt: number;
  jsonPath: string;
  xmlPath: string;
  jsonSha256: Uint8Array;
}

export interface DetectionStore {
  /** Stores the list and its entries (in order) in one transaction; a list that `replaces` another
   *  retires it in the same transaction, and nothing is stored (false) when that one is not active. */
  insertList(list: HashListRecord, entries: readonly ListEntryRow[]): Promise<boolean>;
  /** False when the list is not active (unknown or already retired). */
  retireList(listId: string, by: string, at: number): Promise<boolean>;
  getList(listId: string): Promise<HashListRecord | undefined>;
  /** Oldest import first. */
  lists(status?: ListStatus): Promise<HashListRecord[]>;
  /** The list's hashes, 32 bytes each, in entry order (what the in-memory index is built from). */
  listHashes(listId: string): Promise<Buffer>;
  entryAt(listId: string, position: number): Promise<{ entryId: string | undefined; label: string | undefined } | undefined>;

  /** Inserts or replaces the owner's picture (a replacement starts unchecked again). */
  putPicture(p: PictureRecord): Promise<void>;
  /** Applies a check's verdict to the picture if it is still the one that was checked (same SHA-256).
   *  The bytes are written only with an "ok" verdict: unchecked or refused images are never stored. */
  setPictureStatus(ownerKind: string, ownerId: string, sha256: Uint8Array, status: PictureStatus, pdq: string | undefined, at: number, data?: Uint8Array): Promise<void>;
  getPicture(ownerKind: string, ownerId: string): Promise<PictureRecord | undefined>;

  putEvidence(e: EvidenceRecord): Promise<void>;
  attachEvidence(evidenceId: string, reportId: string): Promise<void>;
  markViewed(evidenceId: string): Promise<void>;
  getEvidence(evidenceId: string): Promise<EvidenceRecord | undefined>;
  /** Oldest first. */
  evidenceForReport(reportId: string): Promise<EvidenceRecord[]>;
  /** Deletes expired evidence; returns what was deleted (ids and digests, for the custody log). */
  takeExpiredEvidence(now: number): Promise<{ evidenceId: string; sha256: Uint8Array }[]>;

  /** Inserts the report's queue item, or updates its priority and flag. */
  putDetectionItem(item: DetectionItem): Promise<void>;
  detectionItem(reportId: string): Promise<DetectionItem | undefined>;
  /** Newest first. */
  detectionItems(): Promise<DetectionItem[]>;
  /** Records (or re-records) who produced the report's authority report and where it went. */
  putAuthorityReport(r: AuthorityReportRecord): Promise<void>;
}

// ---- rows as both backends select them (times in milliseconds; flags 0/1 in SQLite, boolean in PostgreSQL)

export interface HashListRow {
  list_id: string;
  name: string;
  source_org: string;
  threshold: number;
  status: string;
  hash_count: number;
  distinct_count: number;
  imported_by: string;
  imported_at: number;
  retired_by: string | null;
  retired_at: number | null;
  replaces: string | null;
}

export interface PictureRow {
  owner_kind: string;
  owner_id: string;
  uploaded_by: string;
  status: string;
  content_type: string;
  data: Buffer | null;
  sha256: Buffer;
  pdq: string | null;
  created_at: number;
}

export interface EvidenceRow {
  evidence_id: string;
  kind: string;
  subject_account: string;
  report_id: string | null;
  name: string;
  content_type: string;
  size: number;
  sha256: Buffer;
  pdq: string | null;
  quality: number | null;
  matches: string;
  nonce: Buffer;
  ciphertext: Buffer;
  created_at: number;
  expires_at: number;
  viewed_by_esp: number | boolean;
}

export interface DetectionItemRow {
  report_id: string;
  priority: string;
  source: string;
  flagged: number | boolean;
  created_at: number;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export function toList(r: HashListRow): HashListRecord {
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

export function toEntry(r: { entry_id: string | null; label: string | null }): { entryId: string | undefined; label: string | undefined } {
  return { entryId: opt(r.entry_id), label: opt(r.label) };
}

export function toPicture(r: PictureRow): PictureRecord {
  return {
    ownerKind: r.owner_kind === "group" ? "group" : "account",
    ownerId: r.owner_id,
    uploadedBy: r.uploaded_by,
    status: r.status as PictureStatus,
    contentType: r.content_type,
    data: r.data === null ? undefined : bytes(r.data),
    sha256: bytes(r.sha256),
    pdq: opt(r.pdq),
    createdAt: r.created_at,
  };
}

export function toEvidence(r: EvidenceRow): EvidenceRecord {
  return {
    evidenceId: r.evidence_id,
    kind: r.kind as EvidenceRecord["kind"],
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
    viewedByEsp: Boolean(r.viewed_by_esp),
  };
}

export function toDetectionItem(r: DetectionItemRow): DetectionItem {
  return { reportId: r.report_id, priority: r.priority === "high" ? "high" : "normal", source: r.source, flagged: Boolean(r.flagged), createdAt: r.created_at };
}

type Db = Database.Database;

export class SqliteDetectionStore implements DetectionStore {
  constructor(private readonly db: Db) {}

  async insertList(list: HashListRecord, entries: readonly ListEntryRow[]): Promise<boolean> {
    return this.db.transaction(() => {
      if (list.replaces !== undefined && !this.retire(list.replaces, list.importedBy, list.importedAt)) return false;
      this.db
        .prepare(
          `INSERT INTO hash_lists (list_id, name, source_org, threshold, status, hash_count, distinct_count, imported_by, imported_at, replaces)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(list.listId, list.name, list.sourceOrg, list.threshold, list.status, list.hashCount, list.distinctCount, list.importedBy, list.importedAt, list.replaces ?? null);
      const insert = this.db.prepare("INSERT INTO hash_list_entries (list_id, position, hash, entry_id, label) VALUES (?, ?, ?, ?, ?)");
      entries.forEach((e, i) => insert.run(list.listId, i, e.hash, e.entryId ?? null, e.label ?? null));
      return true;
    })();
  }

  private retire(listId: string, by: string, at: number): boolean {
    return this.db.prepare("UPDATE hash_lists SET status = 'retired', retired_by = ?, retired_at = ? WHERE list_id = ? AND status = 'active'").run(by, at, listId).changes === 1;
  }

  async retireList(listId: string, by: string, at: number): Promise<boolean> {
    return this.retire(listId, by, at);
  }

  async getList(listId: string): Promise<HashListRecord | undefined> {
    const row = this.db.prepare("SELECT * FROM hash_lists WHERE list_id = ?").get(listId) as HashListRow | undefined;
    return row === undefined ? undefined : toList(row);
  }

  async lists(status?: ListStatus): Promise<HashListRecord[]> {
    const rows = status
      ? this.db.prepare("SELECT * FROM hash_lists WHERE status = ? ORDER BY imported_at, list_id").all(status)
      : this.db.prepare("SELECT * FROM hash_lists ORDER BY imported_at, list_id").all();
    return (rows as HashListRow[]).map(toList);
  }

  async listHashes(listId: string): Promise<Buffer> {
    const count = (this.db.prepare("SELECT count(*) AS n FROM hash_list_entries WHERE list_id = ?").get(listId) as { n: number }).n;
    const out = Buffer.alloc(count * 32);
    let offset = 0;
    for (const hash of this.db.prepare("SELECT hash FROM hash_list_entries WHERE list_id = ? ORDER BY position").pluck().iterate(listId) as IterableIterator<Buffer>) {
      out.set(hash, offset);
      offset += 32;
    }
    return out;
  }

  async entryAt(listId: string, position: number): Promise<{ entryId: string | undefined; label: string | undefined } | undefined> {
    const r = this.db.prepare("SELECT entry_id, label FROM hash_list_entries WHERE list_id = ? AND position = ?").get(listId, position) as
      | { entry_id: string | null; label: string | null }
      | undefined;
    return r && toEntry(r);
  }

  async putPicture(p: PictureRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO pictures (owner_kind, owner_id, uploaded_by, status, content_type, data, sha256, pdq, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (owner_kind, owner_id) DO UPDATE SET uploaded_by = excluded.uploaded_by, status = excluded.status,
           content_type = excluded.content_type, data = excluded.data, sha256 = excluded.sha256, pdq = excluded.pdq,
           created_at = excluded.created_at, checked_at = NULL`,
      )
      .run(p.ownerKind, p.ownerId, p.uploadedBy, p.status, p.contentType, p.data ?? null, p.sha256, p.pdq ?? null, p.createdAt);
  }

  async setPictureStatus(ownerKind: string, ownerId: string, sha256: Uint8Array, status: PictureStatus, pdq: string | undefined, at: number, data?: Uint8Array): Promise<void> {
    this.db
      .prepare("UPDATE pictures SET status = ?, pdq = ?, checked_at = ?, data = ? WHERE owner_kind = ? AND owner_id = ? AND sha256 = ?")
      .run(status, pdq ?? null, at, status === "ok" && data ? data : null, ownerKind, ownerId, sha256);
  }

  async getPicture(ownerKind: string, ownerId: string): Promise<PictureRecord | undefined> {
    const r = this.db.prepare("SELECT * FROM pictures WHERE owner_kind = ? AND owner_id = ?").get(ownerKind, ownerId) as PictureRow | undefined;
    return r && toPicture(r);
  }

  async putEvidence(e: EvidenceRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO evidence (evidence_id, kind, subject_account, report_id, name, content_type, size, sha256, pdq, quality, matches,
           nonce, ciphertext, created_at, expires_at, viewed_by_esp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        e.evidenceId, e.kind, e.subjectAccountId, e.reportId ?? null, e.name, e.contentType, e.size, e.sha256, e.pdq ?? null,
        e.quality ?? null, e.matches, e.nonce, e.ciphertext, e.createdAt, e.expiresAt, e.viewedByEsp ? 1 : 0,
      );
  }

  async attachEvidence(evidenceId: string, reportId: string): Promise<void> {
    this.db.prepare("UPDATE evidence SET report_id = ? WHERE evidence_id = ?").run(reportId, evidenceId);
  }

  async markViewed(evidenceId: string): Promise<void> {
    this.db.prepare("UPDATE evidence SET viewed_by_esp = 1 WHERE evidence_id = ?").run(evidenceId);
  }

  async getEvidence(evidenceId: string): Promise<EvidenceRecord | undefined> {
    const r = this.db.prepare("SELECT * FROM evidence WHERE evidence_id = ?").get(evidenceId) as EvidenceRow | undefined;
    return r && toEvidence(r);
  }

  async evidenceForReport(reportId: string): Promise<EvidenceRecord[]> {
    return (this.db.prepare("SELECT * FROM evidence WHERE report_id = ? ORDER BY created_at, evidence_id").all(reportId) as EvidenceRow[]).map(toEvidence);
  }

  async takeExpiredEvidence(now: number): Promise<{ evidenceId: string; sha256: Uint8Array }[]> {
    const rows = this.db.prepare("DELETE FROM evidence WHERE expires_at <= ? RETURNING evidence_id, sha256").all(now) as { evidence_id: string; sha256: Buffer }[];
    return rows.map((r) => ({ evidenceId: r.evidence_id, sha256: bytes(r.sha256) }));
  }

  async putDetectionItem(item: DetectionItem): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO detection_items (report_id, priority, source, flagged, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (report_id) DO UPDATE SET priority = excluded.priority, flagged = excluded.flagged`,
      )
      .run(item.reportId, item.priority, item.source, item.flagged ? 1 : 0, item.createdAt);
  }

  async detectionItem(reportId: string): Promise<DetectionItem | undefined> {
    const r = this.db.prepare("SELECT * FROM detection_items WHERE report_id = ?").get(reportId) as DetectionItemRow | undefined;
    return r && toDetectionItem(r);
  }

  async detectionItems(): Promise<DetectionItem[]> {
    return (this.db.prepare("SELECT * FROM detection_items ORDER BY created_at DESC").all() as DetectionItemRow[]).map(toDetectionItem);
  }

  async putAuthorityReport(r: AuthorityReportRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO authority_reports (report_id, produced_by, produced_at, json_path, xml_path, json_sha256) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (report_id) DO UPDATE SET produced_by = excluded.produced_by, produced_at = excluded.produced_at,
           json_path = excluded.json_path, xml_path = excluded.xml_path, json_sha256 = excluded.json_sha256`,
      )
      .run(r.reportId, r.producedBy, r.producedAt, r.jsonPath, r.xmlPath, r.jsonSha256);
  }
}
