/** Operator actions on the server's store (a data directory or a PostgreSQL URL), for `safelight admin`. */
import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { openStorage } from "./backends.js";
import { resolveConfig, type ServerOptions } from "./config.js";
import type { Role } from "./storage/moderation.js";
import { importSqlite, type ImportedTable } from "./storage/postgres/importSqlite.js";
import { openPostgresStorage } from "./storage/postgres/storage.js";
import { openSqliteStorage } from "./storage/sqlite.js";

/** Sets an account's role and records it in the audit log; false when no account has that name. */
export async function setAccountRole(target: ServerOptions, name: string, role: Role): Promise<boolean> {
  const storage = await openStorage(resolveConfig(target));
  try {
    const changed = await storage.moderation.setRole(name, role);
    if (changed) {
      await storage.moderation.audit({ at: Date.now(), actorAccountId: "operator", action: "role.set", subject: name, detail: JSON.stringify({ role }) });
    }
    return changed;
  } finally {
    await storage.close();
  }
}

export interface MigrationResult {
  tables: ImportedTable[];
  /** Blob contents copied from `<dataDir>/blobs`, and the ids of blob records whose file was missing. */
  blobs: { copied: number; bytes: number; missing: string[] };
}

/**
 * Moves a SQLite deployment (its data directory, with its blobs) into an empty PostgreSQL schema,
 * migrating both to the current schema first. The SQLite side is only read, so the old deployment
 * stays as it was.
 */
export async function migrateToPostgres(target: { dataDir: string; databaseUrl: string; databaseSchema?: string }): Promise<MigrationResult> {
  if (!existsSync(join(target.dataDir, "safelight.db"))) throw new Error(`no Safelight database in ${target.dataDir} (expected safelight.db)`);
  const schema = target.databaseSchema ?? "public";
  // Opening brings an older file up to this version's schema.
  const sqlite = openSqliteStorage(target.dataDir);
  const db = new Database(join(target.dataDir, "safelight.db"), { readonly: true, fileMustExist: true });
  const pg = await openPostgresStorage(target.databaseUrl, { schema });
  try {
    const tables = await importSqlite(db, pg.pool, schema);
    // After the rows, so a failed table copy leaves nothing; a failed blob copy names the blob.
    const blobs = { copied: 0, bytes: 0, missing: [] as string[] };
    for (const { blob_id, size } of db.prepare("SELECT blob_id, size FROM blobs").all() as { blob_id: string; size: number }[]) {
      const source = await sqlite.blobs.read(blob_id);
      if (source === undefined) {
        blobs.missing.push(blob_id);
        continue;
      }
      const written = await pg.blobs.write(blob_id, source, size);
      if (!written.ok) throw new Error(`blob ${blob_id}: ${written.reason === "too-large" ? "its file is larger than its record says" : "could not be read"}`);
      blobs.copied++;
      blobs.bytes += written.size;
    }
    return { tables, blobs };
  } finally {
    db.close();
    await Promise.all([sqlite.close(), pg.close()]);
  }
}
