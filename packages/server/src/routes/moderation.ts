import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { decodeContent, toB64 } from "@safelight/protocol";
import type { ServerContext } from "../context.js";
import { randomId } from "../crypto.js";
import { ApiError } from "../errors.js";
import { caller, makeAuthHooks } from "../plugins/auth.js";
import { id, object, replies } from "../schemas.js";
import {
  DECISION_ACTIONS,
  type DecisionAction,
  type DecisionRecord,
  type ReportRecord,
  type ReportSummaryRecord,
} from "../storage/moderation.js";

const open = { type: "object", additionalProperties: true } as const;

/**
 * /v1/mod/*: the moderation queue (docs/protocol.md, docs/moderation.md). Only accounts with the
 * moderator (or admin) role; every read and decision is appended to the audit log.
 */
export function registerModerationRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { authenticate } = makeAuthHooks(ctx);
  const mod = ctx.storage.moderation;

  async function requireModerator(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const role = await mod.getRole(caller(request).accountId);
    if (role !== "moderator" && role !== "admin") throw new ApiError("SL_ERR_FORBIDDEN", "moderator role required");
  }

  const audited = (request: FastifyRequest, action: string, subject: string, detail: unknown = {}) =>
    mod.audit({ at: Date.now(), actorAccountId: caller(request).accountId, action, subject, detail: JSON.stringify(detail) });

  const names = new Map<string, string>();
  async function nameOf(accountId: string): Promise<string> {
    let name = names.get(accountId);
    if (name === undefined) {
      name = (await ctx.storage.getAccountById(accountId))?.name ?? accountId;
      names.set(accountId, name);
    }
    return name;
  }

  async function summaryJson(r: ReportSummaryRecord) {
    return {
      reportId: r.reportId,
      reason: r.reason,
      status: r.status,
      createdAt: r.createdAt,
      note: r.note,
      groupId: toB64(r.groupId),
      messageCount: r.messageCount,
      priority: (await ctx.detection.store.detectionItem(r.reportId))?.priority ?? "normal",
      reporter: { accountId: r.reporterAccountId, name: await nameOf(r.reporterAccountId) },
      reported: { accountId: r.reportedAccountId, name: await nameOf(r.reportedAccountId) },
    };
  }

  async function reportJson(r: ReportRecord) {
    return {
      ...(await summaryJson({ ...r, messageCount: r.messages.length })),
      // Known-image detection (docs/known-images.md): flag and preserved files' metadata, no content.
      detection: (await ctx.detection.store.detectionItem(r.reportId)) ?? null,
      evidence: await ctx.detection.evidenceSummary(r.reportId),
      messages: await Promise.all(
        r.messages.map(async (m) => {
          const content = decodeContent(m.content);
          return {
            messageId: m.messageId,
            sender: { accountId: m.senderAccountId, name: await nameOf(m.senderAccountId) },
            acceptedAt: m.acceptedAt,
            verified: m.verified,
            reported: m.messageId === r.reportedMessageId,
            text: content?.type === "text" ? content.text : "",
            files: content?.type === "text" ? (content.files ?? []) : [],
          };
        }),
      ),
    };
  }

  const guard = { onRequest: authenticate, preHandler: requireModerator };

  app.get<{ Querystring: { status?: "open" | "decided" | "all" } }>(
    "/v1/mod/reports",
    {
      ...guard,
      schema: {
        querystring: { type: "object", properties: { status: { type: "string", enum: ["open", "decided", "all"] } } },
        response: replies(200, { type: "object", properties: { reports: { type: "array", items: open } } }),
      },
    },
    async (request) => {
      const status = request.query.status ?? "open";
      await audited(request, "reports.list", status);
      return { reports: await Promise.all((await mod.listReports(status)).map(summaryJson)) };
    },
  );

  app.get<{ Params: { reportId: string } }>(
    "/v1/mod/reports/:reportId",
    { ...guard, schema: { params: object({ reportId: id }), response: replies(200, open) } },
    async (request) => {
      const report = await mod.getReport(request.params.reportId);
      if (!report) throw new ApiError("SL_ERR_NOT_FOUND", "no such report");
      await audited(request, "report.view", report.reportId);
      return reportJson(report);
    },
  );

  app.post<{ Params: { reportId: string }; Body: { action: DecisionAction; note?: string } }>(
    "/v1/mod/reports/:reportId/decision",
    {
      ...guard,
      schema: {
        params: object({ reportId: id }),
        body: object({ action: { type: "string", enum: DECISION_ACTIONS }, note: { type: "string", maxLength: 2000 } }, ["note"]),
        response: replies(200, object({ decisionId: { type: "string" } })),
      },
    },
    async (request) => {
      const report = await mod.getReport(request.params.reportId);
      if (!report) throw new ApiError("SL_ERR_NOT_FOUND", "no such report");
      const decision: DecisionRecord = {
        decisionId: randomId(),
        reportId: report.reportId,
        subjectAccountId: report.reportedAccountId,
        moderatorAccountId: caller(request).accountId,
        action: request.body.action,
        note: request.body.note ?? "",
        createdAt: Date.now(),
      };
      await mod.decide(decision);
      // The ban deleted the sessions; this ends the sockets they opened, on whichever node holds them.
      if (decision.action === "ban") ctx.notifier.broadcast("account-revoked", decision.subjectAccountId);
      await audited(request, "report.decide", report.reportId, { action: decision.action, subject: decision.subjectAccountId });
      if (decision.action === "escalate") await ctx.detection.escalate(report, decision.moderatorAccountId, decision.note);
      request.log.info({ reportId: report.reportId, action: decision.action }, "moderation decision");
      return { decisionId: decision.decisionId };
    },
  );

  app.get<{ Params: { accountId: string } }>(
    "/v1/mod/accounts/:accountId",
    { ...guard, schema: { params: object({ accountId: id }), response: replies(200, open) } },
    async (request) => {
      const account = await ctx.storage.getAccountById(request.params.accountId);
      if (!account) throw new ApiError("SL_ERR_NOT_FOUND", "no such account");
      await audited(request, "account.view", account.accountId);
      const { against, by } = await mod.reportsAbout(account.accountId);
      return {
        account: {
          accountId: account.accountId,
          name: account.name,
          createdAt: account.createdAt,
          devices: account.devices.length,
          role: await mod.getRole(account.accountId),
          banned: await mod.isBanned(account.accountId),
        },
        reportsAgainst: await Promise.all(against.map(summaryJson)),
        reportsBy: await Promise.all(by.map(summaryJson)),
        decisions: await mod.decisionsAbout(account.accountId),
      };
    },
  );

  app.get<{ Querystring: { limit?: number } }>(
    "/v1/mod/audit",
    {
      ...guard,
      schema: {
        querystring: { type: "object", properties: { limit: { type: "integer", minimum: 1, maximum: 1000 } } },
        response: replies(200, { type: "object", properties: { intact: { type: "boolean" }, entries: { type: "array", items: open } } }),
      },
    },
    async (request) => {
      const entries = await mod.listAudit(request.query.limit ?? 100);
      return { intact: (await mod.verifyAuditChain()) === undefined, entries };
    },
  );
}
