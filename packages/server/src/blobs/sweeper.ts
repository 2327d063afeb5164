import type { FastifyBaseLogger } from "fastify";
import type { ServerContext } from "../context.js";
import { deleteBlobs } from "./store.js";

/** One retention pass: expired blobs (record first, then file), challenges, sessions, link codes. */
export async function sweepOnce(ctx: ServerContext, now = Date.now()): Promise<number> {
  const expired = await ctx.storage.takeExpiredBlobs(now);
  await deleteBlobs(ctx.blobDir, expired);
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
