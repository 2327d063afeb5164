import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// docs/validation.md: every SL-V id is enforced at a commented line, documented, and named by a test.
const root = new URL("../../../", import.meta.url).pathname;
const ID = /SL-V\d{3}/g;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

function idsIn(files: string[], pick: (text: string) => string[]): Set<string> {
  return new Set(files.flatMap((f) => pick(readFileSync(f, "utf8")).flatMap((s) => s.match(ID) ?? [])));
}

const sourceDirs = ["packages/server/src", "packages/protocol/src"].map((d) => join(root, d));
const testDirs = ["packages/server/test", "packages/protocol/test", "packages/client/test", "packages/cli/test"].map((d) => join(root, d));
const existing = (dirs: string[]) => dirs.flatMap(filesUnder);

/** Source: ids in `//` comments. Tests: ids inside string literals (test names and it.each labels). */
const comments = (t: string) => [...t.matchAll(/\/\/.*$/gm)].map((m) => m[0]);
const inSource = idsIn(existing(sourceDirs), comments);
const inTests = idsIn(
  existing(testDirs).filter((f) => !f.endsWith("validation-documented.test.ts")),
  (t) => [...t.matchAll(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`/g)].map((m) => m[0]),
);
const doc = readFileSync(join(root, "docs/validation.md"), "utf8");
const documented = new Set([...doc.matchAll(/^\| (SL-V\d{3}) \|/gm)].map((m) => m[1]!));

/** The two Storage drivers: a check storage enforces stands, with its id, in each. */
const drivers = ["packages/server/src/storage/sqlite.ts", "packages/server/src/storage/postgres/storage.ts"].map((f) => idsIn([join(root, f)], comments));

describe("docs/validation.md", () => {
  it("lists a rule at all", () => {
    expect(documented.size).toBeGreaterThan(0);
  });

  it("documents every id a source comment uses", () => {
    expect([...inSource].filter((id) => !documented.has(id)).sort()).toEqual([]);
  });

  it("documents no id that no source comment enforces", () => {
    expect([...documented].filter((id) => !inSource.has(id)).sort()).toEqual([]);
  });

  it("enforces each storage check in both drivers, SQLite and PostgreSQL", () => {
    const [sqlite, postgres] = drivers as [Set<string>, Set<string>];
    expect(sqlite.size).toBeGreaterThan(0);
    expect([...sqlite].sort()).toEqual([...postgres].sort());
  });

  it("names, for every documented id, a test whose name carries it", () => {
    expect([...documented].filter((id) => !inTests.has(id)).sort()).toEqual([]);
  });
});
