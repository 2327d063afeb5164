/**
 * The server's side of message franking (docs/franking.md): stamps accepted application messages and
 * checks the openings a reporter reveals. Stamps requested in one event-loop turn share one Ed25519
 * signature over the root of an RFC 9162 Merkle tree of their leaves; each message gets its inclusion
 * proof. Keys rotate; retired keys stay usable for verification for the report window.
 */
import { randomBytes } from "node:crypto";
import {
  computeServerFrank,
  constantTimeEqual,
  decodeContent,
  frankingTag,
  fromB64,
  generateDeviceKeys,
  toB64,
  verifyServerFrank,
  type FrankContext,
  type ServerFrank,
} from "@safelight/protocol";
import { randomId } from "./crypto.js";
import { FrankingSigner } from "./frankingSigner.js";
import type { FrankingKeyRecord, Storage } from "./storage/types.js";

export class FrankingService {
  /** Newest first; refreshed after a rotation. */
  private keys: FrankingKeyRecord[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly rotationMs: number,
  ) {}

  /** The newest key if it is still the one to stamp with (the hot path: no await). */
  private usable(now: number): FrankingKeyRecord | undefined {
    const newest = this.keys[0];
    return newest && newest.retiredAt === undefined && now - newest.createdAt < this.rotationMs ? newest : undefined;
  }

  /** A load or rotation in progress: concurrent stamps wait for it instead of each making a key. */
  private refreshing: Promise<FrankingKeyRecord> | undefined;

  /** The key to stamp with now, rotating when the newest is older than the rotation period. */
  private current(now: number): Promise<FrankingKeyRecord> {
    const usable = this.usable(now);
    if (usable) return Promise.resolve(usable);
    this.refreshing ??= this.refresh(now).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refresh(now: number): Promise<FrankingKeyRecord> {
    if (this.keys.length === 0) this.keys = await this.storage.listFrankingKeys();
    const usable = this.usable(now);
    if (usable) return usable;
    const signer = generateDeviceKeys();
    await this.storage.rotateFrankingKey({
      keyId: randomId(8),
      hmacKey: new Uint8Array(randomBytes(32)),
      signKey: signer.signKey,
      publicKey: signer.publicKey,
      createdAt: now,
      retiredAt: undefined,
    });
    this.keys = await this.storage.listFrankingKeys();
    return this.keys[0]!;
  }

  /** Stamps waiting for this turn's batch. */
  private pending: PendingStamp[] = [];
  private readonly signer = new FrankingSigner();

  /**
   * On the hot path of every message: collects the stamps of one event-loop turn and has the franking
   * worker compute them as one batch (frankingBatch.ts: node:crypto HMAC, SHA-256 tree and Ed25519, the
   * same as @safelight/protocol's reference functions; a test checks they agree). Resolves once the batch
   * this call joined has been signed.
   */
  async stamp(tag: Uint8Array, context: FrankContext): Promise<ServerFrank> {
    const key = this.usable(context.acceptedAt) ?? (await this.current(context.acceptedAt));
    return new Promise((resolve, reject) => {
      this.pending.push({ key, tag, context, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.sendBatch());
    });
  }

  /** One batch per franking key (a turn spanning a rotation is signed once per key). */
  private sendBatch(): void {
    const batch = this.pending;
    this.pending = [];
    const byKey = new Map<string, PendingStamp[]>();
    for (const p of batch) {
      const group = byKey.get(p.key.keyId);
      if (group) group.push(p);
      else byKey.set(p.key.keyId, [p]);
    }
    for (const [keyId, group] of byKey) {
      this.signer.sign(group[0]!.key, group).then(
        ({ signature, serverFranks, paths }) =>
          group.forEach((p, i) =>
            p.resolve({ keyId, serverFrank: serverFranks[i]!, signature, proof: { leafIndex: i, treeSize: group.length, inclusionPath: paths[i]! } }),
          ),
        (error: unknown) => {
          for (const p of group) p.reject(error);
        },
      );
    }
  }

  /** Stops the franking worker; stamps still waiting are rejected. */
  close(): Promise<void> {
    return this.signer.close();
  }

  async publicKeys(now: number): Promise<{ keyId: string; publicKey: string; createdAt: number; retiredAt?: number }[]> {
    await this.current(now);
    return this.keys.map((k) => ({
      keyId: k.keyId,
      publicKey: toB64(k.publicKey),
      createdAt: k.createdAt,
      ...(k.retiredAt !== undefined ? { retiredAt: k.retiredAt } : {}),
    }));
  }

  /** Recomputes the tag from the revealed content's salt and the server frank under `keyId`, and checks
   *  the batch signature and inclusion proof under that key's public key; true only if the opening is
   *  exactly what this server stamped, in a form anyone can re-verify with the published key. */
  async verifyOpening(opening: ServerFrank & { content: Uint8Array }, context: FrankContext): Promise<boolean> {
    const content = decodeContent(opening.content);
    const salt = content && fromB64(content.salt);
    const serverFrank = fromB64(opening.serverFrank);
    if (!salt || !serverFrank) return false;
    const key = (await this.storage.listFrankingKeys()).find((k) => k.keyId === opening.keyId);
    if (!key) return false;
    const expected = computeServerFrank(key.hmacKey, frankingTag(salt, opening.content), context);
    return constantTimeEqual(expected, serverFrank) && verifyServerFrank(key.publicKey, opening, context);
  }
}

interface PendingStamp {
  key: FrankingKeyRecord;
  tag: Uint8Array;
  context: FrankContext;
  resolve: (frank: ServerFrank) => void;
  reject: (error: unknown) => void;
}
