/** Hash lists from and to files: the streaming CSV/TSV import, list files, opening either for matching. */
import { createReadStream } from "node:fs";
import { open, readFile, rename, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { decodeHashList, encodeHashList, isHashListFile } from "../lists/binary.js";
import { HashList } from "../lists/hashlist.js";
import { HashListImporter, type ImportedRow, type RowError } from "../lists/import.js";

/** A list file that could not be used; carries every row error so all can be shown. */
export class HashListError extends Error {
  override name = "HashListError";
  constructor(
    message: string,
    readonly rowErrors: RowError[] = [],
  ) {
    super(message);
  }
}

/** Streams a file through HashListImporter (UTF-8, any size). */
export async function importHashListFile(path: string, onRow: (row: ImportedRow) => void, onError: (error: RowError) => void): Promise<void> {
  const importer = new HashListImporter(onRow, onError);
  for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 })) importer.push(chunk as string);
  importer.end();
}

export async function readHashListFile(path: string): Promise<HashList> {
  return decodeHashList(await readFile(path));
}

/** Writes via a temporary file and rename, so a crash never leaves a half-written list. */
export async function writeHashListFile(path: string, list: HashList): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, encodeHashList(list));
  await rename(tmp, path);
}

/**
 * Opens a list for matching: a binary list file, or a CSV/TSV export used directly (streamed, and
 * it must be free of bad rows, so that a typo never silently shrinks the list).
 */
export async function loadHashList(path: string): Promise<HashList> {
  let magic: Uint8Array;
  try {
    const handle = await open(path, "r");
    try {
      magic = new Uint8Array(8);
      const { bytesRead } = await handle.read(magic, 0, 8, 0);
      magic = magic.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new HashListError(`${path}: no such list file`);
    if (code === "EISDIR") throw new HashListError(`${path}: is a directory`);
    throw new HashListError(`${path}: ${(err as Error).message}`);
  }
  if (isHashListFile(magic)) {
    try {
      return decodeHashList(await readFile(path));
    } catch (err) {
      throw new HashListError(`${path}: ${(err as Error).message}`);
    }
  }
  const list = new HashList();
  const errors: RowError[] = [];
  const origin = basename(path);
  await importHashListFile(path, (row) => list.add(row, { origin, line: row.line }), (e) => errors.push(e));
  if (errors.length > 0) throw new HashListError(`${path}: ${errors.length} bad row(s)`, errors);
  return list;
}
