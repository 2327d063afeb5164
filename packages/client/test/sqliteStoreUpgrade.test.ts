/** A profile database written before message references and events (the first release's schema) opens,
 *  keeps its messages, and takes the new columns and table (store/sqliteStore.ts). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, expect, it } from "vitest";
import { SqliteClientStore } from "@safelight/client/node";

const dir = mkdtempSync(join(tmpdir(), "safelight-store-upgrade-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("an old profile database gains ref, reply_to and events, and keeps what it had", async () => {
  const file = join(dir, "old.db");
  const old = new Database(file);
  old.exec(`CREATE TABLE messages (id TEXT PRIMARY KEY, group_id TEXT NOT NULL, sender_account_id TEXT NOT NULL,
    sender_device_id TEXT NOT NULL, text TEXT NOT NULL, sent_at INTEGER NOT NULL, received_at INTEGER NOT NULL,
    files TEXT NOT NULL, outgoing INTEGER NOT NULL, n INTEGER NOT NULL, content BLOB, frank TEXT);`);
  old.prepare("INSERT INTO messages VALUES ('m1', 'g', 'a', 'd', 'from before', 1, 2, '[]', 0, 1, NULL, NULL)").run();
  old.close();

  const store = new SqliteClientStore(file);
  const [before] = await store.listMessages("g");
  expect(before).toMatchObject({ id: "m1", text: "from before" });
  expect(before && "ref" in before).toBe(false);
  const base = { groupId: "g", senderAccountId: "a", senderDeviceId: "d", sentAt: 3, receivedAt: 3, files: [], outgoing: false };
  await store.applyIncoming({ itemId: "m2", message: { ...base, id: "m2", text: "new", ref: "R", replyTo: "Q" } });
  expect(await store.findByRef("g", "R")).toMatchObject({ id: "m2", ref: "R", replyTo: "Q" });
  await store.applyIncoming({ itemId: "e1", event: { id: "e1", groupId: "g", senderAccountId: "b", sentAt: 4, control: { type: "reaction", target: "R", emoji: "👍" } } });
  await store.applyIncoming({ itemId: "e1", event: { id: "e1", groupId: "g", senderAccountId: "b", sentAt: 4, control: { type: "reaction", target: "R", emoji: "👍" } } });
  expect(await store.listEvents("g")).toEqual([{ id: "e1", groupId: "g", senderAccountId: "b", sentAt: 4, control: { type: "reaction", target: "R", emoji: "👍" } }]);
  await store.close();
  // Opening again finds the columns already there.
  const again = new SqliteClientStore(file);
  expect((await again.listMessages()).map((m) => m.id)).toEqual(["m1", "m2"]);
  await again.close();
});
