import type { FastifyInstance } from "fastify";
import { toB64, type FrankContext, type FrankOpening } from "@safelight/protocol";
import type { ServerContext } from "../context.js";
import { randomId } from "../crypto.js";
import { ApiError } from "../errors.js";
import { caller, makeAuthHooks } from "../plugins/auth.js";
import { b64, frankProofSchema, object, replies } from "../schemas.js";
import { REPORT_REASONS, type ReportReason, type ReportedMessageRecord } from "../storage/moderation.js";
import { b64Field } from "../wire.js";

type OpeningBody = FrankOpening;

/** Attachments the reporter's client decrypted and reveals with the report (docs/known-images.md). */
interface AttachmentBody {
  messageId: string;
  name: string;
  type: string;
  data: string;
}
const MAX_ATTACHMENTS = 10;
const MAX_ATTACHMENT_BYTES = 8 * 1024 * 1024;
const attachmentSchema = object({
  messageId: { type: "string", maxLength: 64 },
  name: { type: "string", maxLength: 255 },
  type: { type: "string", maxLength: 100 },
  data: { ...b64, maxLength: Math.ceil((MAX_ATTACHMENT_BYTES * 4) / 3) },
});

const openingSchema = object({
  messageId: { type: "string", maxLength: 64 },
  groupId: b64,
  senderAccountId: { type: "string", maxLength: 64 },
  acceptedAt: { type: "integer", minimum: 0 },
  content: { type: "string", maxLength: 200_000 },
  keyId: { type: "string", maxLength: 64 },
  serverFrank: b64,
  signature: b64,
  proof: frankProofSchema,
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
    const { keyId, proof } = opening;
    const verified =
      (await ctx.franking.verifyOpening({ content, keyId, serverFrank: opening.serverFrank, signature: opening.signature, proof }, context)) &&
      (await ctx.storage.wasDeliveredTo(opening.messageId, reporterAccountId, groupId));
    return {
      messageId: opening.messageId,
      senderAccountId: opening.senderAccountId,
      acceptedAt: opening.acceptedAt,
      content,
      keyId: opening.keyId,
      serverFrank,
      signature,
      proof,
      verified,
    };
  }

  app.post<{ Body: { reason: ReportReason; note?: string; reported: OpeningBody; context?: OpeningBody[]; attachments?: AttachmentBody[] } }>(
    "/v1/reports",
    {
      onRequest: authenticate,
      bodyLimit: ctx.config.limits.maxJsonBytes + Math.ceil((MAX_ATTACHMENT_BYTES * 4) / 3) + 64 * 1024,
      schema: {
        body: object(
          {
            reason: { type: "string", enum: REPORT_REASONS },
            note: { type: "string", maxLength: 2000 },
            reported: openingSchema,
            context: { type: "array", maxItems: ctx.config.maxReportContext, items: openingSchema },
            attachments: { type: "array", maxItems: MAX_ATTACHMENTS, items: attachmentSchema },
          },
          ["note", "context", "attachments"],
        ),
        response: replies(201, {
          type: "object",
          properties: {
            reportId: { type: "string" },
            verified: { type: "integer" },
            unverified: { type: "array", items: { type: "string" } },
            attachments: { type: "integer" },
          },
          required: ["reportId", "verified", "unverified"],
        }),
      },
    },
    async (request, reply) => {
      const reporter = caller(request);
      const { reason, note = "", reported, context = [], attachments = [] } = request.body;
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
      // Attachments must belong to a verified message of this report, and stay within the size cap.
      const verifiedIds = new Set([target, ...others].filter((m) => m.verified).map((m) => m.messageId));
      const files = attachments.map((a) => {
        if (!verifiedIds.has(a.messageId)) throw new ApiError("SL_ERR_BAD_REQUEST", "attachments must belong to a verified message of the report");
        return { messageId: a.messageId, name: a.name, type: a.type, bytes: b64Field(a.data, "attachments.data") };
      });
      if (files.reduce((n, f) => n + f.bytes.length, 0) > MAX_ATTACHMENT_BYTES) throw new ApiError("SL_ERR_TOO_LARGE", `attachments exceed ${MAX_ATTACHMENT_BYTES} bytes`);
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
      const checked = await ctx.detection.reportAttachments({ reportId, reporterAccountId: reporter.accountId, reportedAccountId: reported.senderAccountId }, files);
      request.log.info({ reportId, reason, messages: others.length + 1, attachments: files.length, flagged: checked.flagged }, "report received");
      reply.code(201);
      return {
        reportId,
        verified: others.filter((o) => o.verified).length + 1,
        unverified: others.filter((o) => !o.verified).map((o) => o.messageId),
        // How many were received; whether one matched is for moderators only (no list oracle for reporters).
        ...(files.length ? { attachments: files.length } : {}),
      };
    },
  );
}
