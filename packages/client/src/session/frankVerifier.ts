/** Checks the server's franking stamp on received messages (docs/franking.md): the batch signature under
 *  the server's published key and the message's inclusion proof. */
import { fromB64, verifyServerFrank, type FrankContext, type ServerFrank } from "@safelight/protocol";
import type { Authed } from "./context.js";

/** Bound on the remembered verified franking batches (the set is emptied when it reaches this). */
const MAX_VERIFIED_FRANK_BATCHES = 1024;

export class FrankVerifier {
  private keys = new Map<string, Uint8Array>();
  /** Franking batches whose signature already verified: one Ed25519 verify per batch, not per message. */
  private verifiedBatches = new Set<string>();

  constructor(private readonly authed: Authed) {}

  /** The server's batch signature and this message's inclusion proof (docs/franking.md). */
  async verifies(frank: ServerFrank, context: FrankContext): Promise<boolean> {
    if (!this.keys.has(frank.keyId)) {
      const { keys } = await this.authed((a) => a.frankingKeys());
      for (const k of keys) {
        const pub = fromB64(k.publicKey);
        if (pub) this.keys.set(k.keyId, pub);
      }
    }
    const key = this.keys.get(frank.keyId);
    if (this.verifiedBatches.size >= MAX_VERIFIED_FRANK_BATCHES) this.verifiedBatches.clear();
    return key !== undefined && verifyServerFrank(key, frank, context, this.verifiedBatches);
  }
}
