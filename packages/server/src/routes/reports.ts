import type { FastifyInstance } from "fastify";
import { toB64, type FrankContext } from "@safelight/protocol";
import type { ServerContext } from "../context.js";
import { randomId } from "../crypto.js";
import { ApiError } from "../errors.js";
import { caller, makeAuthHooks } from "../plugins/auth.js";
import { b64, object, replies } from "../schemas.js";
import { REPORT_REASONS, type ReportReason, type ReportedMessageRecord } from "../storage/moderation.js";
import { b64Field } from "../wire.js";

interface OpeningBody {
  messageId: string;
  groupId: string;
  senderAccountId: string;
  acceptedAt: number;
  content: string;
  keyId: string;
  serverFrank: string;
  signature: string;
}

const openingSchema = object({
  messageId: { type: "string", maxLength: 64 },
  groupId: b64,
  senderAccountId: { type: "string", maxLength: 64 },
  acceptedAt: { type: "integer", minimum: 0 },
  content: { type: "string", maxLength: 200_000 },
  keyId: { type: "string", maxLength: 64 },
  serverFrank: b64,
  signature: b64,
});

/**
 * POST /v1/reports (docs/franking.md): a recipient reveals franked messages. The server recomputes every
 * tag and server frank, and checks the reporter received each message in that conversation.
 */
export function registerReportRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { authenticate } = makeAuthHooks(ctx);

  async function verify(opening: OpeningBody, reporterAccountId: string): Promise<ReportedMessageRecord> {
    const groupId = b64Field(opening.groupId, "groupId");
    const content = b64Field(opening.content, "content");
    const serverFrank = b64Field(opening.serverFrank, "serverFrank");
    const signature = b64Field(opening.signature, "signature");
    const context: FrankContext = {
      senderAccountId: opening.senderAccountId,
      groupId: toB64(groupId),
      acceptedAt: opening.acceptedAt,
      messageId: opening.messageId,
    };
    const verified =
      (await ctx.franking.verifyOpening({ content, keyId: opening.keyId, serverFrank }, context)) &&
      (await ctx.storage.wasDeliveredTo(opening.messageId, reporterAccountId, groupId));
    return {
      messageId: opening.messageId,
      senderAccountId: opening.senderAccountId,
      acceptedAt: opening.acceptedAt,
      content,
      keyId: opening.keyId,
      serverFrank,
      signature,
      verified,
    };
  }

  app.post<{ Body: { reason: ReportReason; note?: string; reported: OpeningBody; context?: OpeningBody[] } }>(
    "/v1/reports",
    {
      onRequest: authenticate,
      schema: {
        body: object(
          {
            reason: { type: "string", enum: REPORT_REASONS },
            note: { type: "string", maxLength: 2000 },
            reported: openingSchema,
            context: { type: "array", maxItems: ctx.config.maxReportContext, items: openingSchema },
          },
          ["note", "context"],
        ),
        response: replies(201, {
          type: "object",
          properties: {
            reportId: { type: "string" },
            verified: { type: "integer" },
            unverified: { type: "array", items: { type: "string" } },
          },
          required: ["reportId", "verified", "unverified"],
        }),
      },
    },
    async (request, reply) => {
      const reporter = caller(request);
      const { reason, note = "", reported, context = [] } = request.body;
      const target = await verify(reported, reporter.accountId);
      if (!target.verified) {
        throw new ApiError("SL_ERR_REPORT_UNVERIFIED", "the reported message does not verify as delivered to you");
      }
      // Context must come from the same conversation and before the reported message.
      const others = await Promise.all(
        context.map(async (o) => {
          const checked = await verify(o, reporter.accountId);
          const inPlace = o.groupId === reported.groupId && o.acceptedAt <= reported.acceptedAt && o.messageId !== reported.messageId;
          return { ...checked, verified: checked.verified && inPlace };
        }),
      );
      const reportId = randomId();
      const now = Date.now();
      const stored = await ctx.storage.moderation.insertReport({
        reportId,
        reporterAccountId: reporter.accountId,
        reportedMessageId: reported.messageId,
        reportedAccountId: reported.senderAccountId,
        groupId: b64Field(reported.groupId, "groupId"),
        reason,
        note,
        createdAt: now,
        status: "open",
        messages: [...others.sort((a, b) => a.acceptedAt - b.acceptedAt), target],
      });
      if (!stored) throw new ApiError("SL_ERR_DUPLICATE_REPORT", "you already reported this message");
      await ctx.storage.moderation.audit({
        at: now,
        actorAccountId: reporter.accountId,
        action: "report.create",
        subject: reportId,
        detail: JSON.stringify({ reason, reported: reported.senderAccountId, messages: others.length + 1 }),
      });
      request.log.info({ reportId, reason, messages: others.length + 1 }, "report received");
      reply.code(201);
      return { reportId, verified: others.filter((o) => o.verified).length + 1, unverified: others.filter((o) => !o.verified).map((o) => o.messageId) };
    },
  );
}
