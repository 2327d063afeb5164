import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openSqliteStorage } from "../src/storage/sqlite.js";
import { MIGRATIONS } from "../src/storage/migrations.js";
import type { Storage } from "../src/storage/types.js";
import { openPostgresStorage } from "../src/storage/postgres/storage.js";
import { PG_MIGRATIONS } from "../src/storage/postgres/migrations.js";
import { describeStorageContract } from "./storageContract.js";
import { pgTestSchema, requirePostgres, testDatabaseUrl } from "./pgTestSchema.js";

const now = () => Date.now();
const tmp = () => mkdtempSync(join(tmpdir(), "safelight-storage-"));

const sqliteDirs = new WeakMap<Storage, string>();
describeStorageContract(
  "sqlite",
  async () => {
    const dir = tmp();
    const s = openSqliteStorage(dir);
    sqliteDirs.set(s, dir);
    return s;
  },
  async (s) => openSqliteStorage(sqliteDirs.get(s)!),
);

const pgSchemas = new WeakMap<Storage, string>();
describeStorageContract(
  "postgres",
  async () => {
    await requirePostgres();
    const schema = pgTestSchema();
    const s = await openPostgresStorage(testDatabaseUrl, { schema });
    pgSchemas.set(s, schema);
    return s;
  },
  async (s) => openPostgresStorage(testDatabaseUrl, { schema: pgSchemas.get(s)! }),
);

describe("sqlite schema", () => {
  it("records migrations in user_version, runs them once, and uses WAL", async () => {
    const dir = tmp();
    await openSqliteStorage(dir).close();
    await openSqliteStorage(dir).close();
    const db = new Database(join(dir, "safelight.db"), { readonly: true });
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    const cols = db.prepare("SELECT name FROM pragma_table_info('accounts')").all() as { name: string }[];
    expect(cols.map((c) => c.name)).toContain("birthdate");
    db.close();
  });

  it("v7 rebuilds the queue and recipient tables without rowid and keeps their rows", async () => {
    const dir = tmp();
    const db = new Database(join(dir, "safelight.db"));
    for (const sql of MIGRATIONS.slice(0, 6)) db.exec(sql);
    db.pragma("user_version = 6");
    db.prepare("INSERT INTO accounts (account_id, name, birthdate, created_at) VALUES ('a1', 'ann', '2000-01-01', 1)").run();
    db.prepare("INSERT INTO devices (device_id, account_id, signature_key, created_at, queue_seq) VALUES ('d1', 'a1', x'01', 1, 2)").run();
    db.prepare("INSERT INTO messages (message_id, kind, sent_at, data) VALUES ('m1', 'application', 5, x'c0ffee')").run();
    db.prepare("INSERT INTO queue (device_id, seq, message_id) VALUES ('d1', 2, 'm1')").run();
    db.prepare("INSERT INTO message_recipients (message_id, account_id, group_id, sent_at) VALUES ('m1', 'a1', x'00', 5)").run();
    db.close();

    const storage = openSqliteStorage(dir);
    const items = await storage.listQueue("d1", 10);
    expect(items.map((i) => [i.id, i.seq, Buffer.from(i.data!).toString("hex")])).toEqual([["m1", 2, "c0ffee"]]);
    expect(await storage.wasDeliveredTo("m1", "a1", new Uint8Array([0]))).toBe(true);
    expect(await storage.ackQueue("d1", ["m1"])).toBe(1);
    await storage.close();

    const check = new Database(join(dir, "safelight.db"), { readonly: true });
    const ddl = (name: string) => (check.prepare("SELECT sql FROM sqlite_master WHERE name = ?").get(name) as { sql: string }).sql;
    expect(ddl("queue")).toMatch(/WITHOUT ROWID/);
    expect(ddl("message_recipients")).toMatch(/WITHOUT ROWID/);
    expect(check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'queue'").all()).toEqual([{ name: "queue_device_message" }]);
    check.close();
  });

  it("the key-transparency migration logs the devices registered before it, oldest first", async () => {
    const dir = tmp();
    const db = new Database(join(dir, "safelight.db"));
    // The database as it was just before the migration that created the log.
    const kt = MIGRATIONS.findIndex((sql) => sql.includes("CREATE TABLE kt_log"));
    for (const sql of MIGRATIONS.slice(0, kt)) db.exec(sql);
    db.pragma(`user_version = ${kt}`);
    db.prepare("INSERT INTO accounts (account_id, name, birthdate, created_at) VALUES ('a1', 'ann', '2000-01-01', 1)").run();
    db.prepare("INSERT INTO devices (device_id, account_id, signature_key, created_at) VALUES ('d2', 'a1', x'02', 20), ('d1', 'a1', x'01', 10)").run();
    db.close();

    const storage = openSqliteStorage(dir);
    const entries = await storage.listKtEntries(0, 10);
    expect(entries.map((e) => [e.seq, e.deviceId, e.action, Buffer.from(e.publicKey).toString("hex"), e.time])).toEqual([
      [0, "d1", "add", "01", 10],
      [1, "d2", "add", "02", 20],
    ]);
    await storage.close();
  });
});

describe("postgres schema", () => {
  it("keeps the audit log append-only, and migrates once however many nodes start together", async () => {
    await requirePostgres();
    const schema = pgTestSchema();
    const nodes = await Promise.all([1, 2, 3].map(() => openPostgresStorage(testDatabaseUrl, { schema })));
    const [s] = nodes as [Storage & { pool: import("pg").Pool }];
    await s.moderation.audit({ at: now(), actorAccountId: "m", action: "report.view", subject: "r", detail: "{}" });
    await expect(s.pool.query("UPDATE audit_log SET detail = 'x'")).rejects.toThrow(/append-only/);
    await expect(s.pool.query("DELETE FROM audit_log")).rejects.toThrow(/append-only/);
    const { rows } = await s.pool.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
    expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
    await Promise.all(nodes.map((n) => n.close()));
  });

  it("the key-transparency migration (v6) logs the devices registered before it, oldest first", async () => {
    await requirePostgres();
    const schema = pgTestSchema();
    const before = (await openPostgresStorage(testDatabaseUrl, { schema })) as Storage & { pool: import("pg").Pool };
    await before.pool.query("DROP TABLE kt_log");
    await before.pool.query("DELETE FROM schema_migrations WHERE version = 6");
    await before.pool.query("INSERT INTO accounts (account_id, name, birthdate, created_at) VALUES ('a1', 'ann', '2000-01-01', now())");
    await before.pool.query(
      "INSERT INTO devices (device_id, account_id, signature_key, created_at) VALUES ('d2', 'a1', '\\x02', to_timestamp(0.02)), ('d1', 'a1', '\\x01', to_timestamp(0.01))",
    );
    await before.close();

    const storage = await openPostgresStorage(testDatabaseUrl, { schema });
    const entries = await storage.listKtEntries(0, 10);
    expect(entries.map((e) => [e.seq, e.deviceId, e.action, Buffer.from(e.publicKey).toString("hex"), e.time])).toEqual([
      [0, "d1", "add", "01", 10],
      [1, "d2", "add", "02", 20],
    ]);
    await storage.close();
  });
});
