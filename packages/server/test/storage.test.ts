import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openSqliteStorage } from "../src/storage/sqlite.js";
import { MIGRATIONS } from "../src/storage/migrations.js";
import { describeStorageContract } from "./storageContract.js";

const tmp = () => mkdtempSync(join(tmpdir(), "safelight-storage-"));

describeStorageContract("sqlite", async () => openSqliteStorage(tmp()));

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
});
