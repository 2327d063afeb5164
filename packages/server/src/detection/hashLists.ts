/**
 * Hash lists (docs/known-images.md): stored in SQLite, held in memory as one MIH index per active list,
 * rebuilt for a list when it is imported and dropped when it is retired. Matching asks every active list
 * for entries within that list's own distance threshold.
 */
import { DEFAULT_MATCH_DISTANCE, type DihedralName, type Hash256, MihIndex, hashToHex, importHashList } from "@safelight/pdq";
import { randomId } from "../crypto.js";
import { merkleRoot } from "../merkle.js";
import type { DetectionStore, HashListRecord, ListEntryRow } from "./store.js";

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

  constructor(readonly store: DetectionStore) {}

  /** (Re)builds the in-memory indexes of every active list. */
  loadAll(): void {
    this.loaded.clear();
    for (const record of this.store.lists("active")) this.loaded.set(record.listId, this.build(record, this.store.entries(record.listId)));
    this.digestCache = undefined;
  }

  private build(record: HashListRecord, entries: Iterable<ListEntryRow>): LoadedList {
    let bytes = Buffer.alloc(32 * Math.max(1, record.hashCount));
    let n = 0;
    for (const e of entries) {
      if ((n + 1) * 32 > bytes.length) {
        const grown = Buffer.alloc(bytes.length * 2);
        bytes.copy(grown);
        bytes = grown;
      }
      bytes.set(e.hash, n * 32);
      n++;
    }
    bytes = bytes.subarray(0, n * 32);
    const index = new MihIndex();
    if (n) index.addPacked(packWords(bytes, n));
    return { record, index, bytes };
  }

  get active(): HashListRecord[] {
    return [...this.loaded.values()].map((l) => l.record);
  }

  /** Parses, stores and activates a list. Throws HashListError on bad input. */
  importList(input: ImportInput, actor: string, now = Date.now(), replaces?: string): ImportOutcome {
    const threshold = input.threshold ?? DEFAULT_MATCH_DISTANCE;
    if (!Number.isInteger(threshold) || threshold < 0 || threshold > MAX_THRESHOLD) throw new HashListError(`threshold must be an integer 0..${MAX_THRESHOLD}`);
    if (!input.name.trim() || !input.sourceOrg.trim()) throw new HashListError("name and source organisation are required");
    const parsed = importHashList(input.csv);
    const errors = parsed.errors.map((e) => ({ line: e.line, message: e.message }));
    if (errors.length && !input.skipInvalid) throw new HashListError(`${errors.length} bad row(s); nothing imported`, errors);
    const entries: ListEntryRow[] = parsed.rows.map((r) => ({ hash: hashBytes(hashToHex(r.hash)), entryId: r.id, label: r.label }));
    return { list: this.importRows(input, entries, actor, now, replaces), errors };
  }

  /** Stores and activates already-parsed entries (also used by the benchmark). */
  importRows(input: Omit<ImportInput, "csv">, entries: ListEntryRow[], actor: string, now = Date.now(), replaces?: string): HashListRecord {
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
    const loaded = this.build(record, entries);
    record.distinctCount = sortedDistinctRows(loaded.bytes).length;
    this.store.transaction(() => {
      this.store.insertList(record, entries);
      if (replaces !== undefined) this.store.retireList(replaces, actor, now);
    });
    this.loaded.set(record.listId, loaded);
    if (replaces !== undefined) this.loaded.delete(replaces);
    this.digestCache = undefined;
    return record;
  }

  replaceList(listId: string, input: ImportInput, actor: string, now = Date.now()): ImportOutcome {
    const old = this.store.getList(listId);
    if (!old || old.status !== "active") throw new HashListError("no such active list");
    return this.importList(input, actor, now, listId);
  }

  retireList(listId: string, actor: string, now = Date.now()): boolean {
    const done = this.store.retireList(listId, actor, now);
    if (done) {
      this.loaded.delete(listId);
      this.digestCache = undefined;
    }
    return done;
  }

  /** Every active-list entry within that list's threshold, nearest first. */
  match(hash: Hash256): ListMatch[] {
    const out: ListMatch[] = [];
    for (const { record, index } of this.loaded.values()) {
      for (const m of index.query(hash, record.threshold)) {
        const entry = this.store.entryAt(record.listId, m.id);
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
