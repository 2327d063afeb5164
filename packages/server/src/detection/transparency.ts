/**
 * Transparency figures (docs/known-images.md): counts by UTC day or month, computed from the hash-chained
 * audit log (so they are the same record an auditor can check) plus the hash-list table.
 */
import type { Storage } from "../storage/types.js";

export type Period = "day" | "month";

export interface PeriodFigures {
  period: string;
  reports: number;
  userReports: number;
  knownImageMatches: number;
  blockedUploads: number;
  flaggedReports: number;
  decisions: Record<string, number>;
  escalations: number;
  authorityReports: number;
  evidencePreserved: number;
  evidenceDeleted: number;
}

export function periodOf(at: number, period: Period): string {
  const iso = new Date(at).toISOString();
  return period === "day" ? iso.slice(0, 10) : iso.slice(0, 7);
}

export async function transparency(storage: Storage, period: Period, from: number, to: number) {
  const byPeriod = new Map<string, PeriodFigures>();
  const bucket = (at: number): PeriodFigures => {
    const key = periodOf(at, period);
    let f = byPeriod.get(key);
    if (!f) {
      f = { period: key, reports: 0, userReports: 0, knownImageMatches: 0, blockedUploads: 0, flaggedReports: 0, decisions: {}, escalations: 0, authorityReports: 0, evidencePreserved: 0, evidenceDeleted: 0 };
      byPeriod.set(key, f);
    }
    return f;
  };
  for (const e of await storage.moderation.auditBetween(from, to)) {
    const f = bucket(e.at);
    let detail: Record<string, unknown> = {};
    try {
      detail = JSON.parse(e.detail) as Record<string, unknown>;
    } catch {
      /* not JSON: counted by action only */
    }
    switch (e.action) {
      case "report.create":
        f.reports++;
        f.userReports++;
        break;
      case "detection.match":
        f.knownImageMatches++;
        if (detail.surface === "report-attachment") f.flaggedReports++;
        else {
          f.blockedUploads++;
          f.reports++;
        }
        break;
      case "report.decide": {
        const action = typeof detail.action === "string" ? detail.action : "unknown";
        f.decisions[action] = (f.decisions[action] ?? 0) + 1;
        if (action === "escalate") f.escalations++;
        break;
      }
      case "authority-report.produce":
        f.authorityReports++;
        break;
      case "evidence.preserve":
        f.evidencePreserved++;
        break;
      case "evidence.delete":
        f.evidenceDeleted++;
        break;
    }
  }
  const lists = await storage.detection.lists();
  return {
    period,
    from,
    to,
    periods: [...byPeriod.values()].sort((a, b) => a.period.localeCompare(b.period)),
    hashLists: {
      active: lists.filter((l) => l.status === "active").length,
      retired: lists.filter((l) => l.status === "retired").length,
      activeHashes: lists.filter((l) => l.status === "active").reduce((n, l) => n + l.hashCount, 0),
    },
  };
}
