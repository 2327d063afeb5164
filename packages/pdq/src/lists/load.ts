import { open, readFile } from "node:fs/promises";
import { basename } from "node:path";
import { decodeHashList, isHashListFile } from "./binary.js";
import { HashList } from "./hashlist.js";
import { type RowError, importHashList, importHashListFile } from "./import.js";

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

/** Appends imported CSV/TSV text to `list`, recording `origin` and line numbers. */
export function addImported(list: HashList, text: string, origin: string): { added: number; errors: RowError[] } {
  const { rows, errors } = importHashList(text);
  for (const row of rows) list.add(row, { origin, line: row.line });
  return { added: rows.length, errors };
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
