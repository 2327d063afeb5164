/**
 * For `npm run bench:messaging` only: the real FrankingService, plus a switch that makes `reserve` hand
 * back one stamp made earlier instead of computing one, so the same server, data and clients can be
 * measured with and without franking in the same run. The stored stamp is a real one from a batch of
 * the size the server sees under load, so everything downstream (storage, frames) handles the same
 * bytes either way; only the franking work is skipped.
 */
import type { FrankContext, ServerFrank } from "@safelight/protocol";
import { FrankingService, type FrankTicket } from "../franking.js";

export class SwitchableFranking extends FrankingService {
  private canned: ServerFrank | undefined;
  private enabled = true;

  /** Makes the canned stamp (a batch of `batch` messages) and turns franking off or on. */
  async setEnabled(enabled: boolean, batch = 144): Promise<void> {
    if (!enabled && this.canned === undefined) {
      const context = (i: number): FrankContext => ({ senderAccountId: "bench", groupId: "bench", acceptedAt: Date.now(), messageId: `canned-${i}` });
      const stamps = await Promise.all(Array.from({ length: batch }, (_, i) => this.stamp(new Uint8Array(32), context(i))));
      this.canned = stamps[0];
    }
    this.enabled = enabled;
  }

  override reserve(tag: Uint8Array, context: FrankContext): Promise<FrankTicket> {
    const canned = this.canned;
    return this.enabled || canned === undefined ? super.reserve(tag, context) : Promise.resolve({ settle: () => canned });
  }
}
