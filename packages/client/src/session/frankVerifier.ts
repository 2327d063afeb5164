/** Checks the server's franking stamp on received messages (docs/franking.md): the batch signature under
 *  the server's published key and the message's inclusion proof. */
import { verifyServerFrank, type FrankContext, type ServerFrank } from "@safelight/protocol";
import type { ServerKeys } from "./serverKeys.js";

/** Bound on the remembered verified franking batches (the set is emptied when it reaches this). */
const MAX_VERIFIED_FRANK_BATCHES = 1024;

export class FrankVerifier {
  /** Franking batches whose signature already verified: one Ed25519 verify per batch, not per message. */
  private verifiedBatches = new Set<string>();

  constructor(private readonly keys: ServerKeys) {}

  /** The server's batch signature and this message's inclusion proof (docs/franking.md). */
  async verifies(frank: ServerFrank, context: FrankContext): Promise<boolean> {
    const key = await this.keys.get(frank.keyId);
    if (this.verifiedBatches.size >= MAX_VERIFIED_FRANK_BATCHES) this.verifiedBatches.clear();
    return key !== undefined && verifyServerFrank(key, frank, context, this.verifiedBatches);
  }
}
