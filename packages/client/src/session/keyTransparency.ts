/**
 * The client side of the key-transparency log (docs/key-transparency.md): every signed head is checked
 * against the server's published key and against the newest head this device has seen (RFC 9162
 * §2.1.4 consistency), every device key a directory answer serves must be proven in the log (§2.1.3
 * inclusion), and on each sync the device reads the new log entries and raises an alarm for a device
 * of its own account that it did not accept. Any failed check is a hard error and the key is not used.
 */
import {
  constantTimeEqual,
  encodeKtEntry,
  fromB64,
  merkleFrontierAppend,
  merkleFrontierRoot,
  merkleLeafHash,
  toB64,
  verifyKtConsistency,
  verifyKtInclusion,
  verifyTreeHead,
  type KtEntry,
  type SignedTreeHead,
} from "@safelight/protocol";
import { SafelightError } from "../errors.js";
import type { Api, DirectoryProof, ServedTreeHead } from "../transport/api.js";
import type { ClientStore, KtState, Profile } from "../store/types.js";
import type { ServerKeys } from "./serverKeys.js";

/** The failures, each documented in docs/key-transparency.md ("Errors"). */
export const KT_ERROR_CODES = ["SL_ERR_KT_BAD_HEAD", "SL_ERR_KT_INCONSISTENT", "SL_ERR_KT_NOT_INCLUDED", "SL_ERR_KT_BAD_ENTRIES"] as const;
export type KtErrorCode = (typeof KT_ERROR_CODES)[number];

/** Bound on the remembered verified heads (the set is emptied when it reaches this). */
const MAX_VERIFIED_HEADS = 64;

const ktError = (code: KtErrorCode, message: string) => new SafelightError(code, message);

/** Runs an API call (authenticated for a session, plain for the auditor). */
export type ApiCall = <T>(fn: (api: Api) => Promise<T>) => Promise<T>;

/** A head as a checkpoint anyone can print and compare: `TREESIZE:ROOT` (root hash base64url). */
export type Checkpoint = Pick<SignedTreeHead, "treeSize" | "rootHash">;

export function formatCheckpoint(head: Checkpoint): string {
  return `${head.treeSize}:${head.rootHash}`;
}

export function parseCheckpoint(text: string): Checkpoint {
  const m = /^(\d+):([A-Za-z0-9_-]{43})$/.exec(text.trim());
  if (!m || fromB64(m[2]!)?.length !== 32) throw new Error(`not a checkpoint (TREESIZE:ROOT, the root base64url): ${text}`);
  return { treeSize: Number(m[1]), rootHash: m[2]! };
}

/** A device of this account in the log that this device did not accept (the rule is in the docs). */
export interface KeyTransparencyAlarm {
  accountId: string;
  deviceId: string;
  publicKey: string;
  /** Log index and server time of the `add` entry. */
  index: number;
  time: number;
}

/** Two base64url root hashes name the same tree (public values, compared in constant time anyway). */
export function sameRoot(a: string, b: string): boolean {
  const x = fromB64(a);
  const y = fromB64(b);
  return x !== undefined && y !== undefined && constantTimeEqual(x, y);
}

/** Checks a head's signature; `verified` remembers heads already checked (the server reuses a head for
 *  a few seconds, so a burst of lookups costs one Ed25519 verification). */
export async function checkHeadSignature(keys: ServerKeys, head: ServedTreeHead, verified?: Set<string>): Promise<void> {
  const id = JSON.stringify([head?.keyId, head?.treeSize, head?.timestamp, head?.rootHash, head?.signature]);
  if (verified?.has(id)) return;
  const key = typeof head?.keyId === "string" ? await keys.get(head.keyId) : undefined;
  if (!key || !verifyTreeHead(key, head)) throw ktError("SL_ERR_KT_BAD_HEAD", "the key-transparency head's signature does not verify under the server's published key");
  if (verified && verified.size >= MAX_VERIFIED_HEADS) verified.clear();
  verified?.add(id);
}

/** RFC 9162 §2.1.4: `older` is a prefix of `newer` (equal sizes: equal roots), proven by the server. */
export async function checkConsistent(call: ApiCall, older: Checkpoint, newer: Checkpoint): Promise<void> {
  const same = older.treeSize === newer.treeSize;
  if (same ? sameRoot(older.rootHash, newer.rootHash) : older.treeSize === 0) return;
  // A server that cannot prove the step (it answers 400 for a tree it no longer has) fails the check.
  const proof = same
    ? []
    : await call((a) => a.ktConsistency(older.treeSize, newer.treeSize)).then(
        (r) => r.proof,
        (err: unknown) => {
          if (err instanceof SafelightError && err.status === 400) return undefined;
          throw err;
        },
      );
  const head = (c: Checkpoint) => ({ ...c, timestamp: 0, signature: "" });
  if (same || !verifyKtConsistency(head(older), head(newer), proof)) {
    throw ktError("SL_ERR_KT_INCONSISTENT", `the key-transparency log of size ${newer.treeSize} does not extend the one of size ${older.treeSize} seen before (a rewritten, removed or forked history, or a split view)`);
  }
}

/** Reads entries [start, end) page by page, extending `frontier` (a compact range of [0, start)); hands
 *  each entry to `onEntry` with the range up to and including it. The caller compares the frontier's root with a signed head. */
export async function readLog(
  call: ApiCall,
  start: number,
  end: number,
  frontier: Uint8Array[],
  onEntry: (entry: KtEntry, index: number, frontier: readonly Uint8Array[]) => void,
): Promise<Uint8Array[]> {
  let range = frontier;
  for (let at = start; at < end; ) {
    const { entries } = await call((a) => a.ktEntries(at, end));
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > end - at) {
      throw ktError("SL_ERR_KT_BAD_ENTRIES", `the server sent no key-transparency entries from ${at} to ${end}`);
    }
    for (const entry of entries) {
      let leaf: Uint8Array;
      try {
        leaf = merkleLeafHash(encodeKtEntry(entry));
      } catch {
        throw ktError("SL_ERR_KT_BAD_ENTRIES", `key-transparency entry ${at} is malformed`);
      }
      range = merkleFrontierAppend(range, at, leaf);
      onEntry(entry, at++, range);
    }
  }
  return range;
}

export function checkRoot(frontier: Uint8Array[], head: Checkpoint): void {
  if (!sameRoot(toB64(merkleFrontierRoot(frontier)), head.rootHash)) {
    throw ktError("SL_ERR_KT_BAD_ENTRIES", `the key-transparency entries up to ${head.treeSize} do not hash to the signed head's root`);
  }
}

const EMPTY: KtState = { head: undefined, checked: 0, frontier: [], seenSelf: false, known: [], pendingLinks: [] };

export class KeyTransparency {
  private readonly verifiedHeads = new Set<string>();

  constructor(
    private readonly call: ApiCall,
    private readonly store: ClientStore,
    private readonly keys: ServerKeys,
    private readonly profile: () => Profile,
  ) {}

  private async state(): Promise<KtState> {
    return (await this.store.getKtState()) ?? EMPTY;
  }

  /** The newest head this device has verified, as a checkpoint to compare with others (gossip). */
  async checkpoint(): Promise<string | undefined> {
    const { head } = await this.state();
    return head && formatCheckpoint(head);
  }

  /** Compares another party's checkpoint with this device's view: a split view fails here. */
  async compare(other: Checkpoint): Promise<void> {
    const { head } = await this.state();
    if (!head) throw ktError("SL_ERR_KT_INCONSISTENT", "this device has seen no key-transparency head yet: sync first");
    const [older, newer] = other.treeSize <= head.treeSize ? [other, head] : [head, other];
    await checkConsistent(this.call, older, newer);
  }

  /** Checks a served head and keeps it if it is the newest seen. */
  async acceptHead(head: ServedTreeHead): Promise<void> {
    await checkHeadSignature(this.keys, head, this.verifiedHeads);
    const state = await this.state();
    const seen = state.head;
    if (seen && head.treeSize < seen.treeSize) return checkConsistent(this.call, head, seen);
    if (seen) await checkConsistent(this.call, seen, head);
    if (!seen || head.treeSize > seen.treeSize) await this.store.saveKtState({ ...state, head });
  }

  /** Every served device key must be the one in its `add` entry, included under the (checked) head. */
  async checkDirectory(accountId: string, devices: readonly { deviceId: string; signatureKey: string }[], kt: DirectoryProof | undefined): Promise<void> {
    if (!kt) throw ktError("SL_ERR_KT_NOT_INCLUDED", "the directory answer carries no key-transparency proof");
    await this.acceptHead(kt.head);
    for (const d of devices) {
      const p = kt.devices.find((x) => x.deviceId === d.deviceId);
      const entry: KtEntry = { accountId, deviceId: d.deviceId, action: "add", publicKey: d.signatureKey, time: p?.time ?? 0 };
      if (!p || !verifyKtInclusion(kt.head, entry, p.index, p.proof)) {
        throw ktError("SL_ERR_KT_NOT_INCLUDED", `the key of device ${d.deviceId} is not proven in the key-transparency log`);
      }
    }
  }

  /** A link code issued here: the first new device of this account logged before it expires is accepted. */
  async noteLinkCode(expiresAt: number): Promise<void> {
    const state = await this.state();
    await this.store.saveKtState({ ...state, pendingLinks: [...state.pendingLinks, expiresAt] });
  }

  /** Reads the log entries after the last checked one, matches them against a fresh signed head and
   *  returns an alarm for each `add` of this account that this device did not accept, and the other
   *  devices of this account revoked in those entries (removed devices: a change, never an alarm). */
  async monitor(now = Date.now()): Promise<{ alarms: KeyTransparencyAlarm[]; revoked: string[] }> {
    const head = await this.call((a) => a.ktHead());
    await this.acceptHead(head);
    const state = await this.state();
    if (head.treeSize <= state.checked) return { alarms: [], revoked: [] };
    const me = this.profile();
    const known = new Set(state.known);
    let seenSelf = state.seenSelf;
    const pendingLinks = state.pendingLinks.filter((expiresAt) => expiresAt > now);
    const alarms: KeyTransparencyAlarm[] = [];
    const revoked: string[] = [];
    const onEntry = (e: KtEntry, index: number) => {
      const device = `${e.deviceId}:${e.publicKey}`;
      if (e.accountId !== me.accountId) return;
      if (e.action === "revoke") {
        // Removed from the account: no longer accepted, so an `add` bringing it back raises the alarm.
        known.delete(device);
        if (e.deviceId !== me.deviceId) revoked.push(e.deviceId);
        return;
      }
      if (e.action !== "add" || known.has(device)) return;
      const self = e.deviceId === me.deviceId && e.publicKey === toB64(me.publicKey);
      const link = pendingLinks.findIndex((expiresAt) => expiresAt >= e.time);
      if (self || !seenSelf) {
        // Entries before this device's own are the account as it was when this device joined.
        seenSelf ||= self;
        known.add(device);
      } else if (link >= 0) {
        pendingLinks.splice(link, 1);
        known.add(device);
      } else {
        alarms.push({ accountId: e.accountId, deviceId: e.deviceId, publicKey: e.publicKey, index, time: e.time });
      }
    };
    const frontier = await readLog(this.call, state.checked, head.treeSize, state.frontier.map((h) => fromB64(h)!), onEntry);
    checkRoot(frontier, head);
    const latest = await this.state();
    await this.store.saveKtState({ ...latest, checked: head.treeSize, frontier: frontier.map(toB64), seenSelf, known: [...known], pendingLinks });
    return { alarms, revoked };
  }
}
