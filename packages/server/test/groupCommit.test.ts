import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { GroupCommit } from "../src/storage/groupCommit.js";

function setup() {
  const db = new Database(":memory:");
  db.exec("CREATE TABLE t (v INTEGER NOT NULL UNIQUE)");
  const commit = new GroupCommit(db);
  const insert = (v: number) => () => db.prepare("INSERT INTO t (v) VALUES (?)").run(v).changes;
  const rows = () => (db.prepare("SELECT v FROM t ORDER BY v").all() as { v: number }[]).map((r) => r.v);
  return { db, commit, insert, rows };
}

describe("GroupCommit", () => {
  it("runs the operations of one turn in one transaction, in order, resolving after commit", async () => {
    const { db, commit, insert, rows } = setup();
    const seen: boolean[] = [];
    const ops = [1, 2, 3].map((v) =>
      commit.submit(() => {
        seen.push(db.inTransaction);
        return insert(v);
      }),
    );
    expect(rows()).toEqual([]); // nothing runs before the turn ends
    await expect(Promise.all(ops)).resolves.toEqual([1, 1, 1]);
    expect(seen).toEqual([true, true, true]);
    expect(db.inTransaction).toBe(false);
    expect(rows()).toEqual([1, 2, 3]);
  });

  it("a failed check rejects that operation alone; the others commit", async () => {
    const { commit, insert, rows } = setup();
    const ok1 = commit.submit(() => insert(1));
    const refused = commit.submit<number>(() => {
      throw new Error("stale epoch");
    });
    const ok2 = commit.submit(() => insert(2));
    await expect(refused).rejects.toThrow("stale epoch");
    await expect(Promise.all([ok1, ok2])).resolves.toEqual([1, 1]);
    expect(rows()).toEqual([1, 2]);
  });

  it("a failed write rolls the whole batch back and rejects every operation in it", async () => {
    const { commit, insert, rows } = setup();
    const ops = [commit.submit(() => insert(1)), commit.submit(() => insert(1)), commit.submit(() => insert(2))];
    const results = await Promise.allSettled(ops);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(rows()).toEqual([]);
    // The next turn is a fresh batch.
    await expect(commit.submit(() => insert(3))).resolves.toBe(1);
    expect(rows()).toEqual([3]);
  });
});
