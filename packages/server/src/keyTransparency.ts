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

/** Where a served device key sits in the log: its latest `add` entry (index and time) and the RFC 9162
 *  §2.1.3.1 inclusion path of that entry under the head it comes with. */
export interface DeviceInclusion {
  deviceId: string;
  index: number;
  time: number;
  proof: string[];
}

/** What every directory answer carries (docs/key-transparency.md, "Directory answers"). */
export interface DirectoryProof {
  head: ServedTreeHead;
  devices: DeviceInclusion[];
}

/** A head is signed again only when the log has grown or the last one is this old, so a burst of
 *  directory lookups costs one signature (and clients verify one head, not one per answer). */
const HEAD_REUSE_MS = 5000;

const deviceKey = (accountId: string, deviceId: string) => `${accountId}\n${deviceId}`;

export function ktEntryOf(r: KtEntryRecord): KtEntry {
  return { accountId: r.accountId, deviceId: r.deviceId, action: r.action, publicKey: toB64(r.publicKey), time: r.time };
}

export class KeyTransparencyLog {
  /** Leaf hashes of the entries read so far: the log only grows, so only the new ones are fetched. */
  private leafHashes: Buffer[] = [];
  /** The latest `add` entry of each device read so far and not revoked since, so a directory answer finds its proofs. */
  private readonly adds = new Map<string, { index: number; time: number }>();
  /** The tree's levels over `leafHashes`, rebuilt only when the log has grown. */
  private tree: Buffer[][] = [];
  private signed: ServedTreeHead | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly franking: FrankingService,
  ) {}

  /** The leaf hashes of the whole log as the database has it now. */
  private async leaves(): Promise<Buffer[]> {
    const size = await this.storage.ktLogSize();
    if (size > this.leafHashes.length) {
      const start = this.leafHashes.length;
      const read = await this.storage.listKtEntries(start, size);
      // Concurrent lookups read the same new entries: append only those no other caller has appended meanwhile.
      const from = this.leafHashes.length;
      const fresh = read.slice(from - start);
      for (const [i, r] of fresh.entries()) {
        // A removed device has no proof to serve: were it served anyway, clients would refuse its key.
        if (r.action === "add") this.adds.set(deviceKey(r.accountId, r.deviceId), { index: from + i, time: r.time });
        else this.adds.delete(deviceKey(r.accountId, r.deviceId));
      }
      this.leafHashes = [...this.leafHashes, ...fresh.map((r) => nodeLeafHash(encodeKtEntry(ktEntryOf(r))))];
    }
    return this.leafHashes;
  }

  /** Every level of the tree as the database has it now (empty for an empty log). */
  private async levels(): Promise<Buffer[][]> {
    const leaves = await this.leaves();
    if (this.tree[0]?.length !== leaves.length) this.tree = leaves.length === 0 ? [] : merkleLevels(leaves, nodeHash);
    return this.tree;
  }

  private async sign(levels: Buffer[][], now: number): Promise<ServedTreeHead> {
    const treeSize = levels[0]?.length ?? 0;
    const last = this.signed;
    if (last && last.treeSize === treeSize && now >= last.timestamp && now - last.timestamp < HEAD_REUSE_MS) return last;
    const root = levels.at(-1)?.[0] ?? createHash("sha256").digest();
    const { keyId, key } = await this.franking.activeSigningKey(now);
    const signature = sign(null, treeHeadSignatureInput(treeSize, now, root), key);
    this.signed = { treeSize, timestamp: now, rootHash: toB64(root), signature: toB64(signature), keyId };
    return this.signed;
  }

  async head(now: number): Promise<ServedTreeHead> {
    return this.sign(await this.levels(), now);
  }

  /** One signed head and the inclusion proof of each listed device's latest `add` entry under it: one
   *  tree build per log growth and one path walk per device, however many devices (read the devices
   *  before calling, so each has been logged in the transaction that inserted it). A device missing
   *  from the log gets no proof, and clients refuse its key. */
  async directoryProof(accountId: string, deviceIds: readonly string[], now: number): Promise<DirectoryProof> {
    const levels = await this.levels();
    const devices = deviceIds.flatMap((deviceId) => {
      const add = this.adds.get(deviceKey(accountId, deviceId));
      return add ? [{ deviceId, ...add, proof: inclusionPath(levels, add.index).map(toB64) }] : [];
    });
    return { head: await this.sign(levels, now), devices };
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
    const levels = treeSize === leaves.length ? await this.levels() : merkleLevels(leaves.slice(0, treeSize), nodeHash);
    return inclusionPath(levels, index).map(toB64);
  }
}
