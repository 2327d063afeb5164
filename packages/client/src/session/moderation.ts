/** The moderation queue: reports, decisions, an account's record and the audit log (docs/moderation.md). */
import type { DecisionAction } from "../transport/moderationTypes.js";
import type { SessionContext } from "./context.js";

/** The moderation queue; the server refuses these calls unless this account is a moderator. */
export function moderationCalls(ctx: SessionContext) {
  return {
    reports: (status: "open" | "decided" | "all" = "open") => ctx.authed((a) => a.modReports(status)),
    report: (reportId: string) => ctx.authed((a) => a.modReport(reportId)),
    decide: (reportId: string, action: DecisionAction, note?: string) => ctx.authed((a) => a.modDecide(reportId, action, note)),
    account: async (name: string) => ctx.authed(async (a) => a.modAccount((await ctx.dir.byName(name)).accountId)),
    audit: (limit?: number) => ctx.authed((a) => a.modAudit(limit)),
  };
}
