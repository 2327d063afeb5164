import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { decodeHashList, isHashListFile } from "./binary.js";
import { HashList } from "./hashlist.js";
import { type RowError, importHashList } from "./import.js";

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
 * Opens a list for matching: a binary list file, or a CSV/TSV export used directly (which must
 * be free of bad rows, so that a typo never silently shrinks the list).
 */
export async function loadHashList(path: string): Promise<HashList> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new HashListError(code === "ENOENT" ? `${path}: no such list file` : `${path}: ${(err as Error).message}`);
  }
  if (isHashListFile(bytes)) {
    try {
      return decodeHashList(bytes);
    } catch (err) {
      throw new HashListError(`${path}: ${(err as Error).message}`);
    }
  }
  const list = new HashList();
  const { errors } = addImported(list, bytes.toString("utf8"), basename(path));
  if (errors.length > 0) throw new HashListError(`${path}: ${errors.length} bad row(s)`, errors);
  return list;
}
