/**
 * A feature's own connection to the server's SQLite file (the schema itself is migrated by
 * openSqliteStorage): WAL, NORMAL sync, a busy timeout, and a cache of prepared statements.
 */
import Database from "better-sqlite3";
import { join } from "node:path";

export function openFeatureDb(dataDir: string): Database.Database {
  const db = new Database(join(dataDir, "safelight.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  return db;
}

/** Base for a feature store: prepared once per SQL text, transactions, close. */
export class FeatureStore {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  protected stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
