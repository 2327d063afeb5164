/**
 * The server's side of message franking (docs/franking.md): stamps accepted application messages and
 * checks the openings a reporter reveals. Stamps requested in one event-loop turn share one Ed25519
 * signature over the root of an RFC 9162 Merkle tree of their leaves; each message gets its inclusion
 * proof. Keys rotate; retired keys stay usable for verification for the report window.
 */
import { createHmac, createPrivateKey, randomBytes, sign, type KeyObject } from "node:crypto";
import {
  computeServerFrank,
  constantTimeEqual,
  encodeFrankContext,
  frankBatchSignatureInput,
  frankLeaf,
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
import { merkleTreeWithPaths } from "./merkle.js";
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

  /** Stamps waiting for this turn's batch signature. */
  private pending: PendingStamp[] = [];

  /** On the hot path of every message, so node:crypto with the key imported once (the same HMAC,
   *  SHA-256 tree and Ed25519 as @safelight/protocol's reference functions; a test checks they agree).
   *  Resolves once the batch this call joined (every stamp requested in the same event-loop turn) has
   *  been signed. */
  async stamp(tag: Uint8Array, context: FrankContext): Promise<ServerFrank> {
    const key = this.usable(context.acceptedAt) ?? (await this.current(context.acceptedAt));
    const encoded = encodeFrankContext(context);
    const serverFrank = new Uint8Array(createHmac("sha256", key.hmacKey).update(tag).update(encoded).digest());
    return new Promise((resolve, reject) => {
      this.pending.push({ key, serverFrank, leaf: frankLeaf(serverFrank, encoded), resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.signBatch());
    });
  }

  /** One signature per franking key over the tree of this turn's leaves (a batch spanning a rotation
   *  is signed once per key). */
  private signBatch(): void {
    const batch = this.pending;
    this.pending = [];
    const byKey = new Map<string, PendingStamp[]>();
    for (const p of batch) {
      const group = byKey.get(p.key.keyId);
      if (group) group.push(p);
      else byKey.set(p.key.keyId, [p]);
    }
    for (const [keyId, group] of byKey) {
      try {
        const tree = merkleTreeWithPaths(group.map((p) => p.leaf));
        const signature = toB64(sign(null, frankBatchSignatureInput(group.length, tree.root), this.signingKey(group[0]!.key)));
        // Paths share their nodes (the same Buffer objects): encode each node once, not once per path.
        const encoded = new Map<Buffer, string>();
        const b64 = (node: Buffer): string => {
          let text = encoded.get(node);
          if (text === undefined) encoded.set(node, (text = toB64(node)));
          return text;
        };
        group.forEach((p, i) =>
          p.resolve({
            keyId,
            serverFrank: toB64(p.serverFrank),
            signature,
            proof: { leafIndex: i, treeSize: group.length, inclusionPath: tree.paths[i]!.map(b64) },
          }),
        );
      } catch (error) {
        for (const p of group) p.reject(error);
      }
    }
  }

  private signingKeys = new Map<string, KeyObject>();

  private signingKey(key: FrankingKeyRecord): KeyObject {
    let k = this.signingKeys.get(key.keyId);
    if (!k) {
      // PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410 §7).
      const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), key.signKey]);
      k = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
      this.signingKeys.set(key.keyId, k);
    }
    return k;
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
  serverFrank: Uint8Array;
  leaf: Uint8Array;
  resolve: (frank: ServerFrank) => void;
  reject: (error: unknown) => void;
}
