/**
 * `safelight admin migrate-to-postgres` on a populated SQLite deployment: the same profiles carry on
 * against a server on PostgreSQL at the same address, with their history, their queued messages and
 * their attachments, and the copy holds no plaintext. Runs once (it is SQLite to PostgreSQL by nature).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterOptions, dumpPostgresSchema } from "@safelight/server/testing";
import { cleanup, ok, run, ServerProcess, syncJson, tempDir } from "./harness.js";

let data: string;
let profiles: string;
let before: ServerProcess;
let after: ServerProcess;
const target = clusterOptions(`migrate-${process.pid}`);
const pgArgs = ["--database", target.databaseUrl!, "--database-schema", target.databaseSchema!];
const p = (name: string) => join(profiles, name);
const sent: string[] = [];

async function send(from: string, to: string, text: string, extra: string[] = []) {
  sent.push(text);
  return ok(["--profile", p(from), "send", to, text, ...extra]);
}

beforeAll(async () => {
  data = tempDir("migrate-data");
  profiles = tempDir("migrate-profiles");
  before = new ServerProcess(data);
  await before.start();
  for (const n of ["alice", "bob", "carol"]) await ok(["--profile", p(n), "register", "--server", before.url, "--name", n, "--birthdate", "1990-01-01"]);
});

afterAll(async () => {
  await before?.kill();
  await after?.kill();
  cleanup(data, profiles);
});

describe("migrate-to-postgres", () => {
  it("moves a populated SQLite deployment; clients carry on as if nothing happened", async () => {
    await send("alice", "bob", "read before the move");
    expect((await syncJson(p("bob"), 10)).map((m) => m.text)).toEqual(["read before the move"]);
    const group = (await ok(["--profile", p("alice"), "group", "create", "Moving Day", "--members", "bob,carol"])).trim();
    await ok(["--profile", p("alice"), "send", "--group", group, "group message queued across the move"]);
    sent.push("group message queued across the move");
    // Attachments need an accepted contact (docs/safety.md).
    await ok(["--profile", p("bob"), "accept", "alice"]);
    const file = join(profiles, "photo.bin");
    const bytes = Buffer.alloc(700_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131) & 0xff;
    bytes.write("MIGRATED-FILE-MARKER-51c2", 4000);
    sent.push("MIGRATED-FILE-MARKER-51c2");
    writeFileSync(file, bytes);
    await send("alice", "bob", "queued with a file", ["--file", file]);
    await send("carol", "bob", "queued from carol");
    await before.kill();

    // A server on PostgreSQL refuses to be migrated into twice, and a missing data directory is named.
    const missing = await run(["admin", "migrate-to-postgres", "--data", join(data, "nope"), ...pgArgs]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("no Safelight database");
    const out = await ok(["admin", "migrate-to-postgres", "--data", data, ...pgArgs]);
    expect(out).toMatch(/accounts: 3 rows/);
    expect(out).toMatch(/^blobs: 1 rows$/m);
    expect(out).toMatch(/blob contents: 1 copied/);
    const again = await run(["admin", "migrate-to-postgres", "--data", data, ...pgArgs]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("already holds data");

    after = new ServerProcess(data, pgArgs);
    after.url = before.url; // the same address: the profiles keep their server URL
    await after.start();
    const atBob = await syncJson(p("bob"), 10);
    expect(atBob.map((m) => [m.from, m.text])).toEqual([
      ["alice", "group message queued across the move"],
      ["alice", "queued with a file"],
      ["carol", "queued from carol"],
    ]);
    expect(Buffer.compare(readFileSync(atBob[1]!.files![0]!.path!), bytes)).toBe(0);
    expect((await syncJson(p("carol"), 10)).map((m) => m.text)).toEqual(["group message queued across the move"]);

    // And on: new messages both ways, in the old conversations.
    await send("bob", "alice", "after the move");
    const atAlice = await syncJson(p("alice"), 10);
    expect(atAlice.map((m) => [m.text, m.conversation])).toEqual([["after the move", atBob[1]!.conversation]]);
    await ok(["--profile", p("carol"), "send", "--group", group, "group still works"]);
    expect((await syncJson(p("bob"), 10)).map((m) => m.text)).toEqual(["group still works"]);

    const dump = await dumpPostgresSchema(target.databaseUrl!, target.databaseSchema!);
    for (const text of sent) expect(dump.includes(text), `PostgreSQL holds "${text}"`).toBe(false);
  });
});
