/**
 * The key-transparency log as this server serves it (docs/key-transparency.md): entries come from the
 * storage (appended in the transaction that adds the device, so every node sees one history), tree
 * heads are signed on request with the active franking key (published at /v1/franking/keys; the head
 * names its key id), proofs are RFC 9162 §2.1.3–2.1.4 over node:crypto hashes. Nothing here runs on
 * the message path.
 */
import { createHash, sign } from "node:crypto";
import {
  encodeKtEntry,
  inclusionPath,
  merkleConsistencyProof,
  merkleLevels,
  merkleRootOfLeafHashes,
  toB64,
  treeHeadSignatureInput,
  type KtEntry,
  type SignedTreeHead,
} from "@safelight/protocol";
import { nodeHash, nodeLeafHash } from "@safelight/protocol/node";
import { ApiError } from "./errors.js";
import type { FrankingService } from "./franking.js";
import type { KtEntryRecord, Storage } from "./storage/types.js";

/** A head as served: which franking key id signed it. */
export type ServedTreeHead = SignedTreeHead & { keyId: string };

export function ktEntryOf(r: KtEntryRecord): KtEntry {
  return { accountId: r.accountId, deviceId: r.deviceId, action: r.action, publicKey: toB64(r.publicKey), time: r.time };
}

export class KeyTransparencyLog {
  /** Leaf hashes of the entries read so far: the log only grows, so only the new ones are fetched. */
  private leafHashes: Buffer[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly franking: FrankingService,
  ) {}

  /** The leaf hashes of the whole log as the database has it now. */
  private async leaves(): Promise<Buffer[]> {
    const size = await this.storage.ktLogSize();
    if (size > this.leafHashes.length) {
      const fresh = await this.storage.listKtEntries(this.leafHashes.length, size);
      this.leafHashes = [...this.leafHashes, ...fresh.map((r) => nodeLeafHash(encodeKtEntry(ktEntryOf(r))))];
    }
    return this.leafHashes;
  }

  async head(now: number): Promise<ServedTreeHead> {
    const leaves = await this.leaves();
    const root = leaves.length === 0 ? createHash("sha256").digest() : merkleRootOfLeafHashes(leaves, nodeHash);
    const { keyId, key } = await this.franking.activeSigningKey(now);
    const signature = sign(null, treeHeadSignatureInput(leaves.length, now, root), key);
    return { treeSize: leaves.length, timestamp: now, rootHash: toB64(root), signature: toB64(signature), keyId };
  }

  async entries(start: number, end: number): Promise<KtEntry[]> {
    return (await this.storage.listKtEntries(start, end)).map(ktEntryOf);
  }

  /** RFC 9162 §2.1.4.1 PROOF(first, D[second]). */
  async consistency(first: number, second: number): Promise<string[]> {
    const leaves = await this.leaves();
    if (first > second || second > leaves.length) throw new ApiError("SL_ERR_BAD_REQUEST", `no consistency proof from ${first} to ${second} of ${leaves.length}`);
    return merkleConsistencyProof(leaves.slice(0, second), first, nodeHash).map(toB64);
  }

  /** RFC 9162 §2.1.3.1 PATH(index, D[treeSize]). */
  async inclusion(index: number, treeSize: number): Promise<string[]> {
    const leaves = await this.leaves();
    if (index >= treeSize || treeSize > leaves.length) throw new ApiError("SL_ERR_BAD_REQUEST", `no leaf ${index} in a tree of ${treeSize} of ${leaves.length}`);
    return inclusionPath(merkleLevels(leaves.slice(0, treeSize), nodeHash), index).map(toB64);
  }
}
