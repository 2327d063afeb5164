/**
 * Known-image detection wired into the service (docs/known-images.md): pictures and reported attachments
 * are checked against the active hash lists; a match preserves evidence and opens a high-priority item in
 * the moderation queue; an escalation produces a CyberTipline-style report.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { decodeContent, toB64 } from "@safelight/protocol";
import { randomId } from "../crypto.js";
import type { ModerationStore, ReportRecord } from "../storage/moderation.js";
import { type AuthorityReportSink, type CyberTipReport, FileReportSink, cyberTipXml, incidentTypeFor } from "./cybertip.js";
import { EvidenceVault, loadModerationKey } from "./evidence.js";
import { HashListService, type ListMatch } from "./hashLists.js";
import { type ImageCheck, ImageMatcher } from "./matcher.js";
import { DetectionStore, type EvidenceRecord } from "./store.js";

export const SYSTEM_ACTOR = "system:known-images";

export interface DetectionConfig {
  dataDir: string;
  /** Default `<dataDir>/moderation.key`. */
  moderationKeyFile?: string | undefined;
  evidenceRetentionMs: number;
  maxPicturePixels: number;
  matchDihedral: boolean;
  checkConcurrency: number;
  espName: string;
}

export interface AttachmentInput {
  messageId: string;
  name: string;
  type: string;
  bytes: Uint8Array;
}

export interface AttachmentVerdict {
  messageId: string;
  name: string;
  sha256: string;
  pdq: string | undefined;
  matched: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const publicMatch = (m: ListMatch) => ({
  listId: m.listId,
  listName: m.listName,
  sourceOrg: m.sourceOrg,
  distance: m.distance,
  entryId: m.entryId,
  label: m.label,
  ...(m.transform !== undefined ? { transform: m.transform } : {}),
});

export class DetectionService {
  readonly lists: HashListService;
  readonly matcher: ImageMatcher;
  readonly vault: EvidenceVault;
  private pending = new Map<string, Promise<"ok" | "refused" | "invalid">>();

  constructor(
    readonly store: DetectionStore,
    private readonly moderation: ModerationStore,
    readonly config: DetectionConfig,
    readonly sink: AuthorityReportSink = new FileReportSink(join(config.dataDir, "cybertip")),
  ) {
    this.lists = new HashListService(store);
    this.lists.loadAll();
    this.matcher = new ImageMatcher(this.lists, { maxPixels: config.maxPicturePixels, concurrency: config.checkConcurrency, dihedral: config.matchDihedral });
    const key = loadModerationKey(config.moderationKeyFile || join(config.dataDir, "moderation.key"));
    this.vault = new EvidenceVault(store, key, config.evidenceRetentionMs, (action, actor, subject, detail) => this.audit(action, actor, subject, detail));
  }

  static open(config: DetectionConfig, moderation: ModerationStore): DetectionService {
    return new DetectionService(DetectionStore.open(config.dataDir), moderation, config);
  }

  audit(action: string, actor: string, subject: string, detail: unknown): Promise<void> {
    return this.moderation.audit({ at: Date.now(), actorAccountId: actor, action, subject, detail: JSON.stringify(detail) });
  }

  close(): void {
    this.store.close();
  }

  // ---- pictures -------------------------------------------------------------------------------------

  /**
   * Stores the picture as pending (never served) and queues its check. The returned promise is the
   * verdict; the caller may wait for it or answer "pending" and let it finish in the background.
   */
  submitPicture(ownerKind: "account" | "group", ownerId: string, uploader: string, contentType: string, bytes: Uint8Array): Promise<"ok" | "refused" | "invalid"> {
    const sha = new Uint8Array(createHash("sha256").update(bytes).digest());
    // Pending: the row records the upload, the bytes stay in memory until the check passed.
    this.store.putPicture({ ownerKind, ownerId, uploadedBy: uploader, status: "pending", contentType, data: undefined, sha256: sha, pdq: undefined, createdAt: Date.now() });
    const key = `${ownerKind}:${ownerId}`;
    const verdict = this.matcher.check(bytes).then(async (check) => {
      if (check.invalid !== undefined) {
        this.store.setPictureStatus(ownerKind, ownerId, sha, "refused", undefined, Date.now());
        return "invalid" as const;
      }
      if (check.matches.length === 0) {
        this.store.setPictureStatus(ownerKind, ownerId, sha, "ok", check.pdq, Date.now(), bytes);
        return "ok" as const;
      }
      this.store.setPictureStatus(ownerKind, ownerId, sha, "refused", check.pdq, Date.now());
      await this.onPictureMatch(ownerKind, ownerId, uploader, contentType, bytes, check);
      return "refused" as const;
    });
    this.pending.set(key, verdict);
    void verdict.finally(() => {
      if (this.pending.get(key) === verdict) this.pending.delete(key);
    }).catch(() => undefined);
    return verdict;
  }

  private async onPictureMatch(ownerKind: "account" | "group", ownerId: string, uploader: string, contentType: string, bytes: Uint8Array, check: ImageCheck): Promise<void> {
    const kind = ownerKind === "account" ? "profile-picture" : "group-picture";
    const evidence = await this.vault.preserve(
      { kind, subjectAccountId: uploader, name: `${kind}-${ownerId}`, contentType, bytes, pdq: check.pdq, quality: check.quality, matches: check.matches.map(publicMatch) },
      SYSTEM_ACTOR,
    );
    const reportId = randomId();
    const now = Date.now();
    const best = check.matches[0]!;
    await this.moderation.insertReport({
      reportId,
      reporterAccountId: SYSTEM_ACTOR,
      reportedMessageId: `evidence:${evidence.evidenceId}`,
      reportedAccountId: uploader,
      groupId: new Uint8Array(0),
      reason: "child_sexual_exploitation",
      note: `HIGH PRIORITY: ${kind} matched known-image list "${best.listName}" (${best.sourceOrg}) at distance ${best.distance}${check.exact ? " (exact copy)" : ""}; upload blocked, evidence ${evidence.evidenceId}`,
      createdAt: now,
      status: "open",
      messages: [],
    });
    this.store.attachEvidence(evidence.evidenceId, reportId);
    this.store.putDetectionItem(reportId, "high", kind, true, now);
    await this.audit("detection.match", SYSTEM_ACTOR, reportId, {
      surface: kind,
      subject: uploader,
      evidence: evidence.evidenceId,
      lists: [...new Set(check.matches.map((m) => m.listId))],
      distance: best.distance,
      exact: check.exact,
    });
  }

  /** Waits for a queued check of this owner's picture, if any. */
  async settled(ownerKind: "account" | "group", ownerId: string): Promise<void> {
    await this.pending.get(`${ownerKind}:${ownerId}`)?.catch(() => undefined);
  }

  // ---- report attachments ----------------------------------------------------------------------------

  /** Checks and preserves the attachments a reporter opened for a report; flags the report on a match. */
  async reportAttachments(report: { reportId: string; reporterAccountId: string; reportedAccountId: string }, attachments: AttachmentInput[]): Promise<{ flagged: boolean; attachments: AttachmentVerdict[] }> {
    const verdicts: AttachmentVerdict[] = [];
    let flagged = false;
    for (const a of attachments) {
      const check = await this.matcher.check(a.bytes);
      const matched = check.matches.length > 0;
      flagged ||= matched;
      await this.vault.preserve(
        {
          kind: "report-attachment",
          subjectAccountId: report.reportedAccountId,
          reportId: report.reportId,
          name: a.name,
          contentType: a.type,
          bytes: a.bytes,
          pdq: check.pdq,
          quality: check.quality,
          matches: check.matches.map(publicMatch),
        },
        report.reporterAccountId,
      );
      verdicts.push({ messageId: a.messageId, name: a.name, sha256: check.sha256, pdq: check.pdq, matched });
    }
    if (attachments.length) this.store.putDetectionItem(report.reportId, flagged ? "high" : "normal", "report-attachment", flagged, Date.now());
    if (flagged) {
      await this.audit("detection.match", SYSTEM_ACTOR, report.reportId, {
        surface: "report-attachment",
        subject: report.reportedAccountId,
        files: verdicts.filter((v) => v.matched).map((v) => v.sha256),
      });
    }
    return { flagged, attachments: verdicts };
  }

  /** Evidence metadata of a report, for moderators (no content). */
  evidenceSummary(reportId: string) {
    return this.store.evidenceForReport(reportId).map((e) => evidenceJson(e));
  }

  // ---- authorities -----------------------------------------------------------------------------------

  async buildAuthorityReport(report: ReportRecord, producerId: string, note: string, now = Date.now()): Promise<CyberTipReport> {
    const name = (id: string) => this.store.accountName(id) ?? id;
    const evidence = this.store.evidenceForReport(report.reportId);
    const matched = evidence.some((e) => JSON.parse(e.matches).length > 0);
    return {
      schemaVersion: 1,
      reportId: report.reportId,
      producedAt: iso(now),
      producedBy: { espUserId: producerId, screenName: name(producerId) },
      reporter: {
        esp: { name: this.config.espName },
        reportingPerson: { screenName: name(producerId), espUserId: producerId, role: this.store.role(producerId) },
      },
      incidentSummary: {
        incidentType: incidentTypeFor(report.reason, matched),
        incidentDateTime: iso(report.messages.at(-1)?.acceptedAt ?? report.createdAt),
        reportReason: report.reason,
        escalationNote: note,
      },
      reportedPerson: {
        screenName: name(report.reportedAccountId),
        espUserId: report.reportedAccountId,
        ipCaptureEvents: [],
        ipLogging: "not logged: the service does not record client IP addresses",
      },
      uploadedFiles: evidence.map((e) => {
        // Stored as publicMatch wrote them (JSON leaves out what was undefined); the report drops our list ids.
        const matches = (JSON.parse(e.matches) as ReturnType<typeof publicMatch>[]).map(({ listId: _listId, ...m }) => m);
        return {
          fileId: e.evidenceId,
          fileName: e.name,
          contentType: e.contentType,
          size: e.size,
          source: e.kind,
          hashes: { sha256: Buffer.from(e.sha256).toString("hex"), ...(e.pdq ? { pdq: e.pdq } : {}) },
          ...(e.quality !== undefined ? { pdqQuality: e.quality } : {}),
          fileViewedByEsp: e.viewedByEsp,
          publiclyAvailable: false,
          matches,
          preservedAt: iso(e.createdAt),
        };
      }),
      chatEvidence: {
        conversationId: toB64(report.groupId),
        messages: report.messages.map((m) => {
          const content = decodeContent(m.content);
          return {
            messageId: m.messageId,
            senderScreenName: name(m.senderAccountId),
            senderEspUserId: m.senderAccountId,
            dateTime: iso(m.acceptedAt),
            text: content?.type === "text" ? content.text : "",
            attachmentNames: content?.type === "text" ? (content.files ?? []).map((f) => f.name) : [],
            verified: m.verified,
            reportedMessage: m.messageId === report.reportedMessageId,
            franking: { keyId: m.keyId, serverFrank: toB64(m.serverFrank), signature: toB64(m.signature), ...(m.proof ? { proof: m.proof } : {}) },
          };
        }),
      },
      additionalInfo: "Messages are end-to-end encrypted; the chat evidence was revealed by the recipient and verified by message franking (each message's server frank, the server's batch signature and the message's inclusion proof are included; verify with the published franking key, docs/franking.md).",
    };
  }

  /** From an escalate decision: build, deliver (file sink by default) and record who produced it. */
  async escalate(report: ReportRecord, producerId: string, note: string): Promise<{ jsonPath: string; xmlPath: string }> {
    const now = Date.now();
    const doc = await this.buildAuthorityReport(report, producerId, note, now);
    const out = await this.sink.deliver(doc, cyberTipXml(doc));
    const digest = createHash("sha256").update(out.json).digest();
    this.store.putAuthorityReport({ reportId: report.reportId, producedBy: producerId, producedAt: now, jsonPath: out.jsonPath, xmlPath: out.xmlPath, jsonSha256: digest });
    await this.audit("authority-report.produce", producerId, report.reportId, {
      files: doc.uploadedFiles.length,
      messages: doc.chatEvidence.messages.length,
      sha256: digest.toString("hex"),
    });
    return { jsonPath: out.jsonPath, xmlPath: out.xmlPath };
  }
}

export function evidenceJson(e: EvidenceRecord) {
  return {
    evidenceId: e.evidenceId,
    kind: e.kind,
    subjectAccountId: e.subjectAccountId,
    reportId: e.reportId ?? null,
    name: e.name,
    contentType: e.contentType,
    size: e.size,
    sha256: Buffer.from(e.sha256).toString("hex"),
    pdq: e.pdq ?? null,
    matches: JSON.parse(e.matches) as unknown[],
    createdAt: e.createdAt,
    expiresAt: e.expiresAt,
    viewedByEsp: e.viewedByEsp,
  };
}
