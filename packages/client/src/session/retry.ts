/** When and how the client session retries: lost epoch races and transient failures. */
import { SafelightError } from "../errors.js";

/** A commit loses the epoch race at most once per rival committer; with jittered backoff this bounds
 *  even a busy group's retries. */
export const MAX_EPOCH_RETRIES = 64;

/** Another member's commit won this epoch (the server accepts exactly one per epoch, docs/architecture.md). */
export function isStaleEpoch(err: unknown): boolean {
  return err instanceof SafelightError && err.code === "SL_ERR_STALE_EPOCH";
}

/** Failures worth retrying later (network, server trouble, auth): the queue item stays unacknowledged. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof SafelightError)) return false;
  if (err.code === "SL_CLIENT_UNREACHABLE") return true;
  return err.status !== undefined && (err.status >= 500 || err.status === 429 || err.status === 401);
}

/** Random jitter so rivals that lost an epoch race do not collide again in lockstep. */
export function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(250, 10 * (attempt + 1));
  return new Promise((r) => setTimeout(r, ms));
}
