/**
 * Hash lists (docs/known-images.md): stored in SQLite, held in memory as one MIH index per active list,
 * rebuilt for a list when it is imported and dropped when it is retired. Matching asks every active list
 * for entries within that list's own distance threshold.
 */
import { DEFAULT_MATCH_DISTANCE, type Hash256, MihIndex, hashFromHex, hashToHex, hashToWords32, importHashList } from "@safelight/pdq";
import { randomId } from "../crypto.js";
import { merkleRoot, sortedDistinct } from "./merkle.js";
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
  /** 32-byte hashes sorted and de-duplicated, for the digest. */
  root: string;
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
    const packed: number[] = [];
    const raw: Uint8Array[] = [];
    for (const e of entries) {
      raw.push(e.hash);
      for (const w of hashToWords32(hashFromHex(Buffer.from(e.hash).toString("hex")))) packed.push(w);
    }
    const index = new MihIndex();
    if (raw.length) index.addPacked(Uint32Array.from(packed));
    return { record, index, root: merkleRoot(sortedDistinct(raw)).toString("hex") };
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
    const distinct = sortedDistinct(entries.map((e) => e.hash));
    const record: HashListRecord = {
      listId: randomId(),
      name: input.name.trim(),
      sourceOrg: input.sourceOrg.trim(),
      threshold: input.threshold ?? DEFAULT_MATCH_DISTANCE,
      status: "active",
      hashCount: entries.length,
      distinctCount: distinct.length,
      importedBy: actor,
      importedAt: now,
      retiredBy: undefined,
      retiredAt: undefined,
      replaces,
    };
    this.store.transaction(() => {
      this.store.insertList(record, entries);
      if (replaces !== undefined) this.store.retireList(replaces, actor, now);
    });
    this.loaded.set(record.listId, this.build(record, entries));
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
    const all = sortedDistinct(lists.flatMap((l) => [...this.store.entries(l.record.listId)].map((e) => e.hash)));
    this.digestCache = {
      root: merkleRoot(all).toString("hex"),
      distinctHashes: all.length,
      lists: lists.map((l) => ({
        listId: l.record.listId,
        name: l.record.name,
        sourceOrg: l.record.sourceOrg,
        threshold: l.record.threshold,
        hashCount: l.record.hashCount,
        root: l.root,
        importedAt: l.record.importedAt,
      })),
      computedAt: now,
    };
    return this.digestCache;
  }
}
