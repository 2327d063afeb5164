/** Reports: a received message, the messages before it and their franking openings, submitted so the
 *  server can verify each against its own stamp (docs/franking.md). */
import { toB64 } from "@safelight/protocol";
import { SafelightError } from "../errors.js";
import type { Opening } from "../transport/api.js";
import type { ReportReason } from "../transport/moderationTypes.js";
import type { StoredMessage } from "../store/types.js";
import type { SessionContext } from "./context.js";

/** Preceding messages sent along with a report by default (docs/franking.md). */
const DEFAULT_REPORT_CONTEXT = 10;

export interface ReportOptions {
  note?: string;
  contextCount?: number;
  /** Decrypted attachments of the reported messages, revealed to the server for known-image checks
   *  and kept as evidence (docs/known-images.md); at most 10, 8 MiB in all. */
  attachments?: { messageId: string; name: string; type: string; bytes: Uint8Array }[];
}

export interface ReportReceipt {
  reportId: string;
  verified: number;
  unverified: string[];
  attachments?: number;
}

/** Reports a received message with up to `contextCount` preceding received messages of the same
 *  conversation, each with its franking opening, so the server can verify every one. */
export async function report(ctx: SessionContext, messageId: string, reason: ReportReason, opts: ReportOptions): Promise<ReportReceipt> {
  const target = await ctx.store.getMessage(messageId);
  if (!target) throw new SafelightError("SL_CLIENT_UNKNOWN_MESSAGE", `no message ${messageId} on this device`);
  const reported = openingOf(target);
  if (!reported) throw new SafelightError("SL_CLIENT_BAD_INPUT", "only messages received from others can be reported");
  const all = await ctx.store.listMessages(target.groupId);
  const before = all.slice(0, all.findIndex((m) => m.id === messageId));
  const context = before
    .map(openingOf)
    .filter((o): o is Opening => o !== undefined)
    .slice(-(opts.contextCount ?? DEFAULT_REPORT_CONTEXT));
  return ctx.authed((a) =>
    a.report({
      reason,
      ...(opts.note ? { note: opts.note } : {}),
      reported,
      context: opts.contextCount === 0 ? [] : context,
      ...(opts.attachments?.length
        ? { attachments: opts.attachments.map((f) => ({ messageId: f.messageId, name: f.name, type: f.type, data: toB64(f.bytes) })) }
        : {}),
    }),
  );
}

/** The franking opening of a stored message; undefined for our own messages, which carry no stamp. */
function openingOf(m: StoredMessage): Opening | undefined {
  if (m.outgoing || !m.content || !m.frank) return undefined;
  return {
    messageId: m.id,
    groupId: m.groupId,
    senderAccountId: m.senderAccountId,
    acceptedAt: m.sentAt,
    content: toB64(m.content),
    ...m.frank,
  };
}
