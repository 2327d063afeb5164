/**
 * Known-image detection wired into the service (docs/known-images.md): pictures and reported attachments
 * are checked against the active hash lists; a match preserves evidence and opens a high-priority item in
 * the moderation queue; an escalation produces a CyberTipline-style report.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { decodeContent, toB64 } from "@safelight/protocol";
import { randomId } from "../crypto.js";
import type { Notifier } from "../realtime/notifier.js";
import type { DetectionStore, EvidenceRecord } from "../storage/detection.js";
import type { ReportRecord } from "../storage/moderation.js";
import type { Storage } from "../storage/types.js";
import { type AuthorityReportSink, type CyberTipReport, FileReportSink, cyberTipXml, incidentTypeFor } from "./cybertip.js";
import { EvidenceVault, loadModerationKey } from "./evidence.js";
import { HashListService, type ListMatch } from "./hashLists.js";
import { type ImageCheck, ImageMatcher } from "./matcher.js";

export const SYSTEM_ACTOR = "system:known-images";
/** How often a node re-reads which lists are active even without a signal: a signal lost while NATS was
 *  away delays a list change on this node by at most this long (one small query when nothing changed). */
const LIST_RELOAD_MS = 60_000;

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
  readonly store: DetectionStore;
  readonly lists: HashListService;
  readonly matcher: ImageMatcher;
  readonly vault: EvidenceVault;
  private pending = new Map<string, Promise<"ok" | "refused" | "invalid">>();
  private readonly unwatch: () => void;
  private readonly reloadTimer: NodeJS.Timeout;

  /** Use `open`, which loads the lists before the service checks anything. */
  private constructor(
    private readonly storage: Storage,
    notifier: Notifier,
    readonly config: DetectionConfig,
    readonly sink: AuthorityReportSink,
  ) {
    this.store = storage.detection;
    // A list imported or retired here is announced to every node, which reloads its indexes.
    this.lists = new HashListService(this.store, (listId) => notifier.broadcast("hash-lists", listId));
    // A failed reload (database away) is retried by the next signal or the timer.
    const reload = () => void this.lists.reload().catch(() => undefined);
    this.unwatch = notifier.onSignal("hash-lists", reload);
    this.reloadTimer = setInterval(reload, LIST_RELOAD_MS).unref();
    this.matcher = new ImageMatcher(this.lists, { maxPixels: config.maxPicturePixels, concurrency: config.checkConcurrency, dihedral: config.matchDihedral });
    const key = loadModerationKey(config.moderationKeyFile || join(config.dataDir, "moderation.key"));
    this.vault = new EvidenceVault(this.store, key, config.evidenceRetentionMs, (action, actor, subject, detail) => this.audit(action, actor, subject, detail));
  }

  static async open(
    config: DetectionConfig,
    storage: Storage,
    notifier: Notifier,
    sink: AuthorityReportSink = new FileReportSink(join(config.dataDir, "cybertip")),
  ): Promise<DetectionService> {
    const service = new DetectionService(storage, notifier, config, sink);
    try {
      await service.lists.reload();
    } catch (err) {
      service.close();
      throw err;
    }
    return service;
  }

  audit(action: string, actor: string, subject: string, detail: unknown): Promise<void> {
    return this.storage.moderation.audit({ at: Date.now(), actorAccountId: actor, action, subject, detail: JSON.stringify(detail) });
  }

  /** Stops listening for list changes (the storage is the caller's to close). */
  close(): void {
    this.unwatch();
    clearInterval(this.reloadTimer);
  }

  // ---- pictures -------------------------------------------------------------------------------------

  /**
   * Queues the picture's check and, once it decodes, stores it as pending (never served). The returned promise is the
   * verdict; the caller may wait for it or answer "pending" and let it finish in the background.
   */
  submitPicture(ownerKind: "account" | "group", ownerId: string, uploader: string, contentType: string, bytes: Uint8Array): Promise<"ok" | "refused" | "invalid"> {
    const sha = new Uint8Array(createHash("sha256").update(bytes).digest());
    const key = `${ownerKind}:${ownerId}`;
    const verdict = (async () => {
      // Pending once the bytes decode: the row records the upload (replacing the previous picture), the
      // bytes stay in memory until the check passed. Bytes that do not decode store nothing, so a refused
      // upload leaves the previous picture served.
      const pending = () => this.store.putPicture({ ownerKind, ownerId, uploadedBy: uploader, status: "pending", contentType, data: undefined, sha256: sha, pdq: undefined, createdAt: Date.now() });
      const check = await this.matcher.check(bytes, pending);
      if (check.invalid !== undefined) return "invalid" as const;
      if (check.matches.length === 0) {
        await this.store.setPictureStatus(ownerKind, ownerId, sha, "ok", check.pdq, Date.now(), bytes);
        return "ok" as const;
      }
      await this.store.setPictureStatus(ownerKind, ownerId, sha, "refused", check.pdq, Date.now());
      await this.onPictureMatch(ownerKind, ownerId, uploader, contentType, bytes, check);
      return "refused" as const;
    })();
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
    await this.storage.moderation.insertReport({
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
    await this.store.attachEvidence(evidence.evidenceId, reportId);
    await this.store.putDetectionItem({ reportId, priority: "high", source: kind, flagged: true, createdAt: now });
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
    if (attachments.length) {
      await this.store.putDetectionItem({ reportId: report.reportId, priority: flagged ? "high" : "normal", source: "report-attachment", flagged, createdAt: Date.now() });
    }
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
  async evidenceSummary(reportId: string) {
    return (await this.store.evidenceForReport(reportId)).map((e) => evidenceJson(e));
  }

  // ---- authorities -----------------------------------------------------------------------------------

  async buildAuthorityReport(report: ReportRecord, producerId: string, note: string, now = Date.now()): Promise<CyberTipReport> {
    // Screen names of everyone the report mentions, each read once.
    const ids = new Set([producerId, report.reportedAccountId, ...report.messages.map((m) => m.senderAccountId)]);
    const names = new Map(await Promise.all([...ids].map(async (id) => [id, (await this.storage.getAccountById(id))?.name ?? id] as const)));
    const name = (id: string) => names.get(id) ?? id;
    const evidence = await this.store.evidenceForReport(report.reportId);
    const matched = evidence.some((e) => JSON.parse(e.matches).length > 0);
    return {
      schemaVersion: 1,
      reportId: report.reportId,
      producedAt: iso(now),
      producedBy: { espUserId: producerId, screenName: name(producerId) },
      reporter: {
        esp: { name: this.config.espName },
        reportingPerson: { screenName: name(producerId), espUserId: producerId, role: await this.storage.moderation.getRole(producerId) },
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
    await this.store.putAuthorityReport({ reportId: report.reportId, producedBy: producerId, producedAt: now, jsonPath: out.jsonPath, xmlPath: out.xmlPath, jsonSha256: digest });
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
