/**
 * Evidence preservation (docs/known-images.md): matched or reported material is stored encrypted at rest
 * with AES-256-GCM under the moderation key, a 32-byte key in its own file (`<data>/moderation.key`, mode
 * 0600, created on first start). The database holds ciphertext, metadata and the SHA-256 of the plaintext;
 * each store, view and deletion is appended to the hash-chained audit log (the chain of custody).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { randomId } from "../crypto.js";
import type { DetectionStore, EvidenceRecord } from "../storage/detection.js";

export type AuditFn = (action: string, actor: string, subject: string, detail: unknown) => Promise<void>;

/** Reads the moderation key, creating it (0600) when missing. */
export function loadModerationKey(path: string): Buffer {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, randomBytes(32).toString("hex") + "\n", { mode: 0o600, flag: "wx" });
  }
  chmodSync(path, 0o600);
  const key = Buffer.from(readFileSync(path, "utf8").trim(), "hex");
  if (key.length !== 32) throw new Error(`moderation key ${path}: expected 64 hex digits`);
  return key;
}

export interface NewEvidence {
  kind: EvidenceRecord["kind"];
  subjectAccountId: string;
  reportId?: string | undefined;
  name: string;
  contentType: string;
  bytes: Uint8Array;
  pdq?: string | undefined;
  quality?: number | undefined;
  matches: unknown[];
}

export class EvidenceVault {
  constructor(
    private readonly store: DetectionStore,
    private readonly key: Buffer,
    private readonly retentionMs: number,
    private readonly audit: AuditFn,
  ) {}

  /** Additional data binds each ciphertext to its row: it cannot be moved to another evidence id. */
  private aad(evidenceId: string): Buffer {
    return Buffer.from(`safelight-evidence-v1:${evidenceId}`);
  }

  async preserve(e: NewEvidence, actor: string, now = Date.now()): Promise<EvidenceRecord> {
    const evidenceId = randomId();
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce);
    cipher.setAAD(this.aad(evidenceId));
    const ciphertext = Buffer.concat([cipher.update(e.bytes), cipher.final(), cipher.getAuthTag()]);
    const record: EvidenceRecord = {
      evidenceId,
      kind: e.kind,
      subjectAccountId: e.subjectAccountId,
      reportId: e.reportId,
      name: e.name,
      contentType: e.contentType,
      size: e.bytes.length,
      sha256: new Uint8Array(createHash("sha256").update(e.bytes).digest()),
      pdq: e.pdq,
      quality: e.quality,
      matches: JSON.stringify(e.matches),
      nonce: new Uint8Array(nonce),
      ciphertext: new Uint8Array(ciphertext),
      createdAt: now,
      expiresAt: now + this.retentionMs,
      viewedByEsp: false,
    };
    await this.store.putEvidence(record);
    await this.audit("evidence.preserve", actor, evidenceId, {
      kind: e.kind,
      subject: e.subjectAccountId,
      reportId: e.reportId,
      sha256: Buffer.from(record.sha256).toString("hex"),
      size: record.size,
      expiresAt: record.expiresAt,
    });
    return record;
  }

  /** Decrypts (checking the tag and the recorded SHA-256); a person viewing it is recorded. */
  async open(evidenceId: string, viewer: string | undefined): Promise<{ record: EvidenceRecord; bytes: Uint8Array } | undefined> {
    const record = await this.store.getEvidence(evidenceId);
    if (!record) return undefined;
    const body = Buffer.from(record.ciphertext);
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(record.nonce));
    decipher.setAAD(this.aad(evidenceId));
    decipher.setAuthTag(body.subarray(body.length - 16));
    const bytes = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
    if (!createHash("sha256").update(bytes).digest().equals(Buffer.from(record.sha256))) throw new Error(`evidence ${evidenceId}: digest mismatch`);
    if (viewer !== undefined) {
      await this.store.markViewed(evidenceId);
      await this.audit("evidence.view", viewer, evidenceId, { sha256: Buffer.from(record.sha256).toString("hex") });
    }
    return { record: { ...record, viewedByEsp: record.viewedByEsp || viewer !== undefined }, bytes: new Uint8Array(bytes) };
  }

  /** Deletes evidence past its retention period; each deletion goes to the custody log. */
  async purge(now = Date.now()): Promise<number> {
    const gone = await this.store.takeExpiredEvidence(now);
    for (const g of gone) await this.audit("evidence.delete", "system", g.evidenceId, { sha256: Buffer.from(g.sha256).toString("hex"), reason: "retention" });
    return gone.length;
  }
}
