/**
 * Copies a SQLite deployment's tables into an empty, migrated PostgreSQL schema, for
 * `safelight admin migrate-to-postgres` (docs/deploy.md). Table and column names are the same on both
 * backends; values are converted by the PostgreSQL column's type (SQLite keeps times as milliseconds,
 * flags as 0/1). Strict on purpose: a SQLite column with no PostgreSQL home is an error, never dropped.
 * One transaction: a failed import leaves the schema as empty as it found it.
 */
import type Database from "better-sqlite3";
import type { Client, Pool } from "./pool.js";
import { inTransaction } from "./pool.js";

export interface ImportedTable {
  table: string;
  rows: number;
}

interface PgColumn {
  table_name: string;
  column_name: string;
  data_type: string;
  is_nullable: "YES" | "NO";
  column_default: string | null;
  is_identity: "YES" | "NO";
}

/** SQLite tables with no PostgreSQL counterpart: SQLite's own bookkeeping. */
const SQLITE_ONLY = /^sqlite_/;
/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table. */
const BATCH = 500;

export async function importSqlite(db: Database.Database, pool: Pool, schema: string): Promise<ImportedTable[]> {
  return inTransaction(pool, async (c) => {
    const columns = await pgColumns(c, schema);
    const tables = await insertOrder(c, schema, [...columns.keys()]);
    await requireEmpty(c, tables);
    const sqliteTables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name).filter((n) => !SQLITE_ONLY.test(n)),
    );
    const unknown = [...sqliteTables].filter((t) => !columns.has(t));
    if (unknown.length > 0) throw new Error(`SQLite tables with no PostgreSQL counterpart: ${unknown.join(", ")} (is this server version older than the data?)`);

    const imported: ImportedTable[] = [];
    for (const table of tables) {
      if (!sqliteTables.has(table)) continue;
      imported.push({ table, rows: await copyTable(db, c, table, columns.get(table)!) });
    }
    await resetSequences(c, schema, columns);
    return imported;
  });
}

async function pgColumns(c: Client, schema: string): Promise<Map<string, PgColumn[]>> {
  const { rows } = await c.query<PgColumn>(
    `SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity FROM information_schema.columns
     WHERE table_schema = $1 AND table_name <> 'schema_migrations' ORDER BY table_name, ordinal_position`,
    [schema],
  );
  const byTable = new Map<string, PgColumn[]>();
  for (const r of rows) byTable.set(r.table_name, [...(byTable.get(r.table_name) ?? []), r]);
  return byTable;
}

/** Tables ordered so every foreign key points at a table copied before it. */
async function insertOrder(c: Client, schema: string, tables: string[]): Promise<string[]> {
  const { rows } = await c.query<{ child: string; parent: string }>(
    `SELECT cl.relname AS child, pl.relname AS parent FROM pg_constraint k
       JOIN pg_class cl ON cl.oid = k.conrelid JOIN pg_class pl ON pl.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = cl.relnamespace
     WHERE k.contype = 'f' AND n.nspname = $1`,
    [schema],
  );
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (t: string) => {
    if (ordered.includes(t) || visiting.has(t)) return;
    visiting.add(t);
    for (const fk of rows) if (fk.child === t && fk.parent !== t) visit(fk.parent);
    ordered.push(t);
  };
  for (const t of [...tables].sort()) visit(t);
  return ordered;
}

async function requireEmpty(c: Client, tables: string[]): Promise<void> {
  for (const table of tables) {
    const { rows } = await c.query(`SELECT 1 FROM "${table}" LIMIT 1`);
    if (rows.length > 0) throw new Error(`the PostgreSQL schema already holds data (table ${table}); migrate into an empty schema`);
  }
}

async function copyTable(db: Database.Database, c: Client, table: string, pgCols: PgColumn[]): Promise<number> {
  const sqliteCols = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((r) => r.name);
  const byName = new Map(pgCols.map((col) => [col.column_name, col]));
  const orphans = sqliteCols.filter((n) => !byName.has(n));
  if (orphans.length > 0) throw new Error(`${table}: SQLite columns with no PostgreSQL column: ${orphans.join(", ")}`);
  // A PostgreSQL-only column must be able to fill itself (a default or NULL).
  for (const col of pgCols) {
    if (!sqliteCols.includes(col.column_name) && col.is_nullable === "NO" && col.column_default === null && col.is_identity === "NO") {
      throw new Error(`${table}.${col.column_name} is required in PostgreSQL and has no SQLite column`);
    }
  }
  const cols = sqliteCols.map((n) => byName.get(n)!);
  const overriding = cols.some((col) => col.is_identity === "YES") ? " OVERRIDING SYSTEM VALUE" : "";
  const names = cols.map((col) => `"${col.column_name}"`).join(", ");
  let count = 0;
  let batch: unknown[][] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const params: unknown[] = [];
    const tuples = batch.map((row) => `(${row.map((v) => `$${params.push(v)}`).join(", ")})`);
    await c.query(`INSERT INTO "${table}" (${names})${overriding} VALUES ${tuples.join(", ")}`, params);
    count += batch.length;
    batch = [];
  };
  const select = db.prepare(`SELECT ${sqliteCols.map((n) => `"${n}"`).join(", ")} FROM "${table}"`).raw(true);
  for (const row of select.iterate() as Iterable<unknown[]>) {
    batch.push(row.map((v, i) => convert(v, cols[i]!, table)));
    if (batch.length === BATCH) await flush();
  }
  await flush();
  return count;
}

/** A SQLite value as the PostgreSQL column's type expects it. */
function convert(value: unknown, col: PgColumn, table: string): unknown {
  if (value === null) return null;
  const where = `${table}.${col.column_name}`;
  switch (col.data_type) {
    case "timestamp with time zone":
      if (typeof value !== "number") throw new Error(`${where}: expected milliseconds, found ${typeof value}`);
      return new Date(value);
    case "boolean":
      return value === 1 || value === true;
    case "bytea":
      if (!Buffer.isBuffer(value)) throw new Error(`${where}: expected bytes, found ${typeof value}`);
      return value;
    default:
      return value;
  }
}

/** Serial and identity columns continue after the copied rows. */
async function resetSequences(c: Client, schema: string, columns: Map<string, PgColumn[]>): Promise<void> {
  for (const [table, cols] of columns) {
    for (const col of cols) {
      if (col.is_identity !== "YES" && !(col.column_default ?? "").startsWith("nextval(")) continue;
      await c.query(
        `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT max("${col.column_name}") FROM "${table}"), 1), (SELECT count(*) > 0 FROM "${table}"))`,
        [`"${schema}"."${table}"`, col.column_name],
      );
    }
  }
}
