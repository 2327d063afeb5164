import type { FastifyBaseLogger } from "fastify";
import type { ServerContext } from "../context.js";

/** An upload that received nothing for this long is abandoned (its client or its node is gone). */
const ABANDONED_UPLOAD_MS = 60 * 60 * 1000;

/** One retention pass: expired blobs (record first, then bytes), abandoned uploads, challenges,
 *  sessions, link codes. */
export async function sweepOnce(ctx: ServerContext, now = Date.now()): Promise<number> {
  const expired = await ctx.storage.takeExpiredBlobs(now);
  await ctx.storage.blobs.delete(expired);
  await ctx.storage.blobs.sweepIncomplete(now - ABANDONED_UPLOAD_MS);
  await ctx.storage.sweep(now, now - ctx.config.reportWindowMs);
  await ctx.detection.vault.purge(now); // evidence past its retention period (docs/known-images.md)
  await ctx.safety.sweep(now); // risk events past every window (docs/safety.md)
  return expired.length;
}

/** Runs sweepOnce every `sweepIntervalMs`; returns the stop function. */
export function startSweeper(ctx: ServerContext, log: FastifyBaseLogger): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepOnce(ctx)
      .then((n) => n > 0 && log.info({ blobs: n }, "expired blobs deleted"))
      .catch((err: unknown) => log.error({ err }, "sweep failed"))
      .finally(() => {
        running = false;
      });
  }, ctx.config.sweepIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
