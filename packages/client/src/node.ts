/** Node-only client pieces: the per-profile SQLite store and an attachment sink on disk. */
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { FileSink } from "./session/client.js";

export { SqliteClientStore } from "./store/sqliteStore.js";

/** Saves decrypted attachments as <dir>/<messageId>/<name>, with the name reduced to a plain file name so a
 *  sender cannot write outside the folder. */
export function directoryFileSink(dir: string): FileSink {
  return async (messageId, name, bytes) => {
    const safe = basename(name).replace(/[^\w.\- ]/g, "_").replace(/^\.+/, "_") || "attachment";
    const folder = join(dir, messageId.replace(/[^\w-]/g, "_"));
    await mkdir(folder, { recursive: true });
    const path = join(folder, safe);
    await writeFile(path, bytes);
    return path;
  };
}
