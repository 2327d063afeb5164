/**
 * Hash lists (docs/known-images.md): stored in the database (storage/detection.ts), held in memory as one
 * MIH index per active list, built for a list when it is imported and dropped when it is retired.
 * Matching asks every active list for entries within that list's own distance threshold.
 *
 * The indexes are a cache of the database shared by every node: a node that imports or retires a list
 * calls `changed` after the commit (the server broadcasts the "hash-lists" signal) and every node then
 * calls `reload`. A list never changes once imported, only its status does, so reloading builds the
 * newly active lists and drops the retired ones without reading the others again.
 */
import { DEFAULT_MATCH_DISTANCE, type DihedralName, type Hash256, MihIndex, hashToHex, importHashList } from "@safelight/pdq";
import { merkleRoot } from "@safelight/protocol/node";
import { randomId } from "../crypto.js";
import type { DetectionStore, HashListRecord, ListEntryRow } from "../storage/detection.js";

export interface ListMatch {
  listId: string;
  listName: string;
  sourceOrg: string;
  threshold: number;
  distance: number;
  /** The list entry's hash, hex. */
  hash: string;
  entryId: string | undefined;
  label: string | undefined;
  /** Set when the image matched rotated or mirrored (PDQ's dihedral names); absent for the image as is. */
  transform?: DihedralName;
}

export interface ImportInput {
  name: string;
  sourceOrg: string;
  threshold?: number;
  /** CSV/TSV as in docs/pdq.md. */
  csv: string;
  /** Import the good rows and report the bad ones (default: refuse the whole file on any bad row). */
  skipInvalid?: boolean;
}

export interface ImportOutcome {
  list: HashListRecord;
  errors: { line: number; message: string }[];
}

export class HashListError extends Error {
  constructor(
    message: string,
    readonly errors: { line: number; message: string }[] = [],
  ) {
    super(message);
    this.name = "HashListError";
  }
}

interface LoadedList {
  record: HashListRecord;
  index: MihIndex;
  /** The hashes, 32 bytes each in list order (hex byte order), for the digest. */
  bytes: Buffer;
  /** This list's Merkle root, computed on first use. */
  root?: string;
}

export interface ListsDigest {
  /** RFC 6962 Merkle root over the distinct hashes of all active lists, sorted. */
  root: string;
  distinctHashes: number;
  lists: { listId: string; name: string; sourceOrg: string; threshold: number; hashCount: number; root: string; importedAt: number }[];
  computedAt: number;
}

export const MAX_THRESHOLD = 64;

export function hashBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.toLowerCase(), "hex"));
}

/**
 * MihIndex.addPacked layout from 32-byte hashes in hex byte order: 16-bit word w is bytes 30−2w, 31−2w
 * (big-endian; word 15 first), and packed uint32 k of a hash is word 2k | word 2k+1 << 16.
 */
export function packWords(bytes: Uint8Array, n: number): Uint32Array {
  const out = new Uint32Array(n * 8);
  for (let i = 0; i < n; i++) {
    const b = i * 32;
    for (let k = 0; k < 8; k++) {
      const lo = (bytes[b + 30 - 4 * k]! << 8) | bytes[b + 31 - 4 * k]!;
      const hi = (bytes[b + 28 - 4 * k]! << 8) | bytes[b + 29 - 4 * k]!;
      out[i * 8 + k] = (lo | (hi << 16)) >>> 0;
    }
  }
  return out;
}

/** The distinct 32-byte rows of `bytes`, sorted (views into it, no copies). */
export function sortedDistinctRows(bytes: Buffer): Buffer[] {
  const rows = Array.from({ length: bytes.length / 32 }, (_, i) => bytes.subarray(i * 32, i * 32 + 32));
  rows.sort(Buffer.compare);
  return rows.filter((h, i) => i === 0 || !h.equals(rows[i - 1]!));
}

export class HashListService {
  private loaded = new Map<string, LoadedList>();
  private digestCache: ListsDigest | undefined;
  /** Every change to `loaded` runs in this chain, so a reload that read the database before a local
   *  import or retirement committed cannot undo it afterwards. */
  private changes: Promise<unknown> = Promise.resolve();

  constructor(
    readonly store: DetectionStore,
    /** Called after a list was imported or retired here, once it is committed. */
    private readonly changed: (listId: string) => void = () => {},
  ) {}

  private serially<T>(fn: () => T | Promise<T>): Promise<T> {
    const next = this.changes.then(fn);
    this.changes = next.catch(() => undefined);
    return next;
  }

  /** Brings the indexes in line with the database's active lists. */
  reload(): Promise<void> {
    return this.serially(async () => {
      const active = await this.store.lists("active");
      const ids = new Set(active.map((l) => l.listId));
      let touched = false;
      for (const id of this.loaded.keys()) {
        if (ids.has(id)) continue;
        this.loaded.delete(id);
        touched = true;
      }
      for (const record of active) {
        if (this.loaded.has(record.listId)) continue;
        this.loaded.set(record.listId, this.build(record, await this.store.listHashes(record.listId)));
        touched = true;
      }
      if (touched) this.digestCache = undefined;
    });
  }

  private build(record: HashListRecord, bytes: Buffer): LoadedList {
    const n = bytes.length / 32;
    const index = new MihIndex();
    if (n) index.addPacked(packWords(bytes, n));
    return { record, index, bytes };
  }

  get active(): HashListRecord[] {
    return [...this.loaded.values()].map((l) => l.record);
  }

  /** Parses, stores and activates a list. Throws HashListError on bad input. */
  async importList(input: ImportInput, actor: string, now = Date.now(), replaces?: string): Promise<ImportOutcome> {
    const threshold = input.threshold ?? DEFAULT_MATCH_DISTANCE;
    if (!Number.isInteger(threshold) || threshold < 0 || threshold > MAX_THRESHOLD) throw new HashListError(`threshold must be an integer 0..${MAX_THRESHOLD}`);
    if (!input.name.trim() || !input.sourceOrg.trim()) throw new HashListError("name and source organisation are required");
    const parsed = importHashList(input.csv);
    const errors = parsed.errors.map((e) => ({ line: e.line, message: e.message }));
    if (errors.length && !input.skipInvalid) throw new HashListError(`${errors.length} bad row(s); nothing imported`, errors);
    const entries: ListEntryRow[] = parsed.rows.map((r) => ({ hash: hashBytes(hashToHex(r.hash)), entryId: r.id, label: r.label }));
    return { list: await this.importRows(input, entries, actor, now, replaces), errors };
  }

  /** Stores and activates already-parsed entries (also used by the benchmark). */
  async importRows(input: Omit<ImportInput, "csv">, entries: ListEntryRow[], actor: string, now = Date.now(), replaces?: string): Promise<HashListRecord> {
    const record: HashListRecord = {
      listId: randomId(),
      name: input.name.trim(),
      sourceOrg: input.sourceOrg.trim(),
      threshold: input.threshold ?? DEFAULT_MATCH_DISTANCE,
      status: "active",
      hashCount: entries.length,
      distinctCount: 0,
      importedBy: actor,
      importedAt: now,
      retiredBy: undefined,
      retiredAt: undefined,
      replaces,
    };
    const packed = Buffer.alloc(32 * entries.length);
    entries.forEach((e, i) => packed.set(e.hash, i * 32));
    const loaded = this.build(record, packed);
    record.distinctCount = sortedDistinctRows(loaded.bytes).length;
    if (!(await this.store.insertList(record, entries))) throw new HashListError("no such active list");
    await this.serially(() => {
      this.loaded.set(record.listId, loaded);
      if (replaces !== undefined) this.loaded.delete(replaces);
      this.digestCache = undefined;
    });
    this.changed(record.listId);
    return record;
  }

  async replaceList(listId: string, input: ImportInput, actor: string, now = Date.now()): Promise<ImportOutcome> {
    const old = await this.store.getList(listId);
    if (!old || old.status !== "active") throw new HashListError("no such active list");
    return this.importList(input, actor, now, listId);
  }

  async retireList(listId: string, actor: string, now = Date.now()): Promise<boolean> {
    if (!(await this.store.retireList(listId, actor, now))) return false;
    await this.serially(() => {
      this.loaded.delete(listId);
      this.digestCache = undefined;
    });
    this.changed(listId);
    return true;
  }

  /** Every active-list entry within that list's threshold, nearest first. */
  async match(hash: Hash256): Promise<ListMatch[]> {
    const out: ListMatch[] = [];
    for (const { record, index } of [...this.loaded.values()]) {
      for (const m of index.query(hash, record.threshold)) {
        const entry = await this.store.entryAt(record.listId, m.id);
        out.push({
          listId: record.listId,
          listName: record.name,
          sourceOrg: record.sourceOrg,
          threshold: record.threshold,
          distance: m.distance,
          hash: hashToHex(index.store.get(m.id)),
          entryId: entry?.entryId,
          label: entry?.label,
        });
      }
    }
    return out.sort((a, b) => a.distance - b.distance);
  }

  digest(now = Date.now()): ListsDigest {
    if (this.digestCache) return this.digestCache;
    const lists = [...this.loaded.values()];
    for (const l of lists) l.root ??= merkleRoot(sortedDistinctRows(l.bytes)).toString("hex");
    const all = sortedDistinctRows(Buffer.concat(lists.map((l) => l.bytes)));
    this.digestCache = {
      root: merkleRoot(all).toString("hex"),
      distinctHashes: all.length,
      lists: lists.map((l) => ({
        listId: l.record.listId,
        name: l.record.name,
        sourceOrg: l.record.sourceOrg,
        threshold: l.record.threshold,
        hashCount: l.record.hashCount,
        root: l.root!,
        importedAt: l.record.importedAt,
      })),
      computedAt: now,
    };
    return this.digestCache;
  }
}
