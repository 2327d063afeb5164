/**
 * What the moderation routes `/v1/mod/*` return (docs/protocol.md, docs/moderation.md, docs/known-images.md),
 * declared once for every console built on the SDK. Byte strings are base64url; times are ms since epoch.
 * packages/client/test/moderationTypes.test.ts checks these keys against the real server's answers.
 */
import type { FileRef } from "@safelight/protocol";

export type { FileRef };

export type ReportReason = "child_sexual_exploitation" | "grooming" | "harassment" | "spam" | "other";

export type DecisionAction = "dismiss" | "warn" | "restrict" | "ban" | "escalate";

export interface NamedAccount {
  accountId: string;
  name: string;
}

export interface ReportSummary {
  reportId: string;
  reason: ReportReason;
  status: "open" | "decided";
  createdAt: number;
  note: string;
  groupId: string;
  messageCount: number;
  /** `high` when known-image detection flagged the report (docs/known-images.md). */
  priority: "high" | "normal";
  reporter: NamedAccount;
  reported: NamedAccount;
}

/** One franked message of a report, as its content decoded (the reported one last). */
export interface ReportedMessage {
  messageId: string;
  sender: NamedAccount;
  acceptedAt: number;
  verified: boolean;
  reported: boolean;
  text: string;
  /** References from the message content: the key and digest open the encrypted blob. */
  files: FileRef[];
}

/** Why a report is in the detection queue: a checked attachment, flagged or not. */
export interface DetectionFlag {
  reportId: string;
  priority: "high" | "normal";
  source: string;
  flagged: boolean;
  createdAt: number;
}

/** A known-image list entry an evidence file matched (the entry's hash is not shown). */
export interface EvidenceMatch {
  listId: string;
  listName: string;
  sourceOrg: string;
  /** PDQ Hamming distance to the entry. */
  distance: number;
  entryId?: string;
  label?: string;
  /** Set when only a rotation or mirror image matched (PDQ's dihedral names). */
  transform?: string;
}

/** A preserved evidence file's record; its content is a separate, audited download. */
export interface EvidenceItem {
  evidenceId: string;
  kind: "profile-picture" | "group-picture" | "report-attachment";
  subjectAccountId: string;
  reportId: string | null;
  name: string;
  contentType: string;
  size: number;
  /** hex */
  sha256: string;
  /** The PDQ hash (hex) the server computed; null when it could not decode the file. */
  pdq: string | null;
  matches: EvidenceMatch[];
  createdAt: number;
  expiresAt: number;
  viewedByEsp: boolean;
}

export interface ReportDetail extends ReportSummary {
  detection: DetectionFlag | null;
  evidence: EvidenceItem[];
  messages: ReportedMessage[];
}

export interface Decision {
  decisionId: string;
  /** Absent for a decision not taken on a report. */
  reportId?: string;
  subjectAccountId: string;
  moderatorAccountId: string;
  action: DecisionAction;
  note: string;
  createdAt: number;
}

/** `GET /v1/mod/accounts/:accountId`: an account's moderation record. */
export interface AccountFile {
  account: {
    accountId: string;
    name: string;
    createdAt: number;
    devices: number;
    role: "user" | "moderator" | "admin";
    banned: boolean;
  };
  reportsAgainst: ReportSummary[];
  reportsBy: ReportSummary[];
  decisions: Decision[];
}

/** One moderation audit-log entry (docs/moderation.md); `hash` chains it to every entry before it. */
export interface AuditEntry {
  seq: number;
  at: number;
  actorAccountId: string;
  action: string;
  subject: string;
  detail: string;
  hash: string;
}

export interface AuditLog {
  /** False when any entry's hash no longer chains to those before it. */
  intact: boolean;
  entries: AuditEntry[];
}
