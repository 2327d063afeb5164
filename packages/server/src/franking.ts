/**
 * The server's side of message franking (docs/franking.md): stamps accepted application messages and
 * checks the openings a reporter reveals. Stamps requested in one event-loop turn share one Ed25519
 * signature over the root of an RFC 9162 Merkle tree of their leaves; each message gets its inclusion
 * proof. Keys rotate; retired keys stay usable for verification for the report window.
 */
import { randomBytes, type KeyObject } from "node:crypto";
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
import { ed25519SigningKey, signFrankBatch, type BatchItem } from "@safelight/protocol/node";
import { randomId } from "./crypto.js";
import type { FrankingKeyRecord, Storage } from "./storage/types.js";

export class FrankingService {
  /** Newest first; refreshed after a rotation. */
  private keys: FrankingKeyRecord[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly rotationMs: number,
    /** Called after this node rotated, to tell the other nodes to reload (the "franking-keys" signal). */
    private readonly onRotated: () => void = () => {},
  ) {}

  /** Another node rotated: reload the keys before the next stamp. */
  invalidate(): void {
    this.keys = [];
  }

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
    this.keys = await this.storage.listFrankingKeys();
    const usable = this.usable(now);
    if (usable) return usable;
    const signer = generateDeviceKeys();
    // Every node stamps with the one active key: a rotation that finds a fresh key (another node's) keeps it.
    const rotated = await this.storage.rotateFrankingKey({
      keyId: randomId(8),
      hmacKey: new Uint8Array(randomBytes(32)),
      signKey: signer.signKey,
      publicKey: signer.publicKey,
      createdAt: now,
      retiredAt: undefined,
    }, now - this.rotationMs);
    if (rotated) this.onRotated();
    this.keys = await this.storage.listFrankingKeys();
    return this.keys[0]!;
  }

  /** Stamps waiting for this turn's batch. */
  private pending: PendingStamp[] = [];
  /** Ed25519 keys imported once per key id. */
  private readonly signingKeys = new Map<string, KeyObject>();

  /**
   * On the hot path of every message: joins this turn's batch and returns a ticket. The batch is signed
   * when the first ticket of it is settled (the storage does that as it checks the message for its group
   * commit, in the same turn) or else on the next `setImmediate`, so franking adds no event-loop turn.
   * The batch is computed by @safelight/protocol/node's signFrankBatch with node:crypto (the same HMAC,
   * SHA-256 tree and Ed25519 as @safelight/protocol's pure functions; a test checks they agree).
   */
  async reserve(tag: Uint8Array, context: FrankContext): Promise<FrankTicket> {
    const key = this.usable(context.acceptedAt) ?? (await this.current(context.acceptedAt));
    const entry: PendingStamp = { key, item: { tag, context } };
    this.pending.push(entry);
    if (this.pending.length === 1) setImmediate(() => this.signBatch());
    return {
      settle: () => {
        if (entry.frank === undefined && entry.error === undefined) this.signBatch();
        if (entry.frank === undefined) throw entry.error;
        return entry.frank;
      },
    };
  }

  /** The stamp itself, once its batch is signed. */
  async stamp(tag: Uint8Array, context: FrankContext): Promise<ServerFrank> {
    const ticket = await this.reserve(tag, context);
    await new Promise((resolve) => setImmediate(resolve));
    return ticket.settle();
  }

  /** Signs everything pending, one batch per franking key (a turn spanning a rotation is signed once per
   *  key); each entry gets its stamp or the error. */
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
        const key = group[0]!.key;
        const { signature, serverFranks, paths } = signFrankBatch(key.hmacKey, this.importedKey(key), group.map((p) => p.item));
        group.forEach((p, i) => {
          p.frank = { keyId, serverFrank: serverFranks[i]!, signature, proof: { leafIndex: i, treeSize: group.length, inclusionPath: paths[i]! } };
        });
      } catch (error) {
        for (const p of group) p.error = error ?? new Error("franking batch failed");
      }
    }
  }

  /** The active key for other signatures this server publishes under the same key ids (the
   *  key-transparency tree heads, keyTransparency.ts; their label keeps them apart from batch signatures). */
  async activeSigningKey(now: number): Promise<{ keyId: string; key: KeyObject }> {
    const record = await this.current(now);
    return { keyId: record.keyId, key: this.importedKey(record) };
  }

  private importedKey(record: FrankingKeyRecord): KeyObject {
    let key = this.signingKeys.get(record.keyId);
    if (key === undefined) this.signingKeys.set(record.keyId, (key = ed25519SigningKey(record.signKey)));
    return key;
  }

  async publicKeys(now: number): Promise<{ keyId: string; publicKey: string; createdAt: number; retiredAt?: number }[]> {
    await this.current(now);
    // From the database, not this node's cache: every node's keys, however recent.
    return (await this.storage.listFrankingKeys()).map((k) => ({
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
  item: BatchItem;
  frank?: ServerFrank;
  error?: unknown;
}

/** A stamp of the current batch; `settle` signs the batch if it is not signed yet. */
export interface FrankTicket {
  settle(): ServerFrank;
}
