/** What the moderation routes return beyond the SDK's declared types (docs/protocol.md, docs/known-images.md). */
import type { ReportDetail, ReportReason, ReportSummary } from "@safelight/client";

/** A file reference from the franked message content: the key and digest open the encrypted blob. */
export interface ReportFileRef {
  name: string;
  blobId: string;
  key: string;
  digest: string;
  size: number;
  type: string;
}

export type Summary = ReportSummary & { priority?: string };

/** A preserved evidence file's record (`evidenceJson` in packages/server/src/detection/service.ts). */
export interface EvidenceItem {
  evidenceId: string;
  kind: "profile-picture" | "group-picture" | "report-attachment";
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  /** The PDQ hash (hex) the server computed when it checked the file; null when it could not decode it. */
  pdq: string | null;
  /** List entries it matched; `transform` when only a rotation or mirror image matched (docs/known-images.md). */
  matches: { listName: string; distance: number; transform?: string }[];
  createdAt: number;
  expiresAt: number;
  viewedByEsp: boolean;
}

export type Detail = Omit<ReportDetail, "messages"> & {
  priority?: string;
  detection?: { priority: string; source: string; flagged: boolean; createdAt: number } | null;
  evidence?: EvidenceItem[];
  messages: (Omit<ReportDetail["messages"][number], "files"> & { files: ReportFileRef[] })[];
};

export interface Decision {
  decisionId: string;
  reportId?: string;
  subjectAccountId: string;
  moderatorAccountId: string;
  action: string;
  note: string;
  createdAt: number;
}

export interface AccountFile {
  account: { accountId: string; name: string; createdAt: number; devices: number; role: string; banned: boolean };
  reportsAgainst: Summary[];
  reportsBy: Summary[];
  decisions: Decision[];
}

export type { AuditEntry } from "@safelight/client";

export const REASON_LABELS: Record<ReportReason, string> = {
  child_sexual_exploitation: "Child sexual exploitation",
  grooming: "Grooming",
  harassment: "Harassment",
  spam: "Spam or scam",
  other: "Other",
};

export const when = (ms: number) => new Date(ms).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });

export const highPriority = (r: { priority?: string }) => r.priority !== undefined && r.priority !== "normal";

/** Who took a safety action: the automatic rules record `auto` (docs/safety.md). */
export const actionBy = (createdBy: string) => (createdBy === "auto" ? "automatic rule" : createdBy);

/** An automatic action's detail (`{signal, count, threshold, windowHours}`, docs/safety.md) in words;
 *  anything else as it is. */
export function actionDetail(detail: string): string {
  try {
    const d = JSON.parse(detail) as { signal?: unknown; count?: unknown; threshold?: unknown; windowHours?: unknown };
    if (typeof d.signal === "string" && typeof d.count === "number") return `${d.count} × ${d.signal} in ${d.windowHours} h (over ${d.threshold})`;
  } catch {
    // not JSON: a moderator's own words
  }
  return detail;
}
