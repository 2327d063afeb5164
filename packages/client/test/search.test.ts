/**
 * Local search (`client.search`, session/search.ts) on both device stores, the same cases on each: SQLite (Node, CLI) and
 * IndexedDB (browser; fake-indexeddb stands in for the browser's implementation here, the web messenger
 * test runs it in Chromium).
 */
import "fake-indexeddb/auto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IDBFactory } from "fake-indexeddb";
import { afterAll, describe, expect, it } from "vitest";
import { SafelightClient, type ClientStore, type StoredGroup, type StoredMessage } from "@safelight/client";
import { IndexedDbClientStore } from "@safelight/client/browser";
import { SqliteClientStore } from "@safelight/client/node";

const dir = mkdtempSync(join(tmpdir(), "sl-search-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const backends: [string, () => Promise<ClientStore>][] = [
  ["sqlite", async () => new SqliteClientStore(join(dir, `${Math.random().toString(36).slice(2)}.db`))],
  ["indexeddb", () => IndexedDbClientStore.open("search-test", new IDBFactory())],
];

const group = (groupId: string): StoredGroup => ({
  groupId,
  kind: "group",
  title: "",
  peerAccountId: undefined,
  state: new Uint8Array([1]),
  active: true,
  updatedAt: 1,
});

let n = 0;
const message = (groupId: string, text: string, outgoing: boolean): StoredMessage => ({
  id: `m${++n}`,
  groupId,
  senderAccountId: outgoing ? "me" : "peer",
  senderDeviceId: "d",
  text,
  sentAt: n,
  receivedAt: n,
  files: [],
  outgoing,
});

/** Two conversations, received and sent messages mixed, in arrival order. */
async function seeded(open: () => Promise<ClientStore>): Promise<{ store: ClientStore; ids: Record<string, string> }> {
  const store = await open();
  await store.saveAccount({ accountId: "me", name: "alice", devices: [] });
  await store.saveAccount({ accountId: "peer", name: "bob", devices: [] });
  const texts: [string, string, boolean][] = [
    ["g1", "Meet at the Library at noon", false],
    ["g2", "library card renewed", true],
    ["g1", "bring snacks", true],
    ["g2", "ÉCOLE fermée demain", false],
    ["g1", "the LIBRARY is closed, sorry", false],
  ];
  const ids: Record<string, string> = {};
  for (const [groupId, text, outgoing] of texts) {
    const m = message(groupId, text, outgoing);
    ids[text] = m.id;
    if (outgoing) await store.saveOutgoing(m, group(groupId));
    else await store.applyIncoming({ itemId: `item-${m.id}`, group: group(groupId), message: m });
  }
  return { store, ids };
}

/** The SDK over that store. Sender names come from the store's account cache; the profile points at a
 *  closed port, so a search that went to the network would not find them. */
async function search(store: ClientStore, text: string, opts?: { conversation?: string }) {
  await store.saveProfile({
    serverUrl: "http://127.0.0.1:9",
    accountId: "me",
    deviceId: "d",
    name: "alice",
    token: "t",
    tokenExpiresAt: 0,
    signKey: new Uint8Array(32),
    publicKey: new Uint8Array(32),
  });
  return (await new SafelightClient({ store }).open()).search(text, opts);
}

describe.each(backends)("local search on the %s store", (_name, open) => {
  it("finds messages containing the text whatever its case, sent and received, oldest first", async () => {
    const { store, ids } = await seeded(open);
    const hits = await search(store, "library");
    expect(hits.map((m) => m.id)).toEqual([
      ids["Meet at the Library at noon"],
      ids["library card renewed"],
      ids["the LIBRARY is closed, sorry"],
    ]);
    expect(hits.map((m) => [m.from, m.text])).toEqual([
      ["bob", "Meet at the Library at noon"],
      ["alice", "library card renewed"],
      ["bob", "the LIBRARY is closed, sorry"],
    ]);
    await store.close();
  });

  it("limits to one conversation when asked", async () => {
    const { store, ids } = await seeded(open);
    expect((await search(store, "LiBrArY", { conversation: "g2" })).map((m) => m.id)).toEqual([ids["library card renewed"]]);
    expect(await search(store, "snacks", { conversation: "g2" })).toEqual([]);
    await store.close();
  });

  it("folds non-ASCII case too, and finds nothing for a blank query or an absent word", async () => {
    const { store, ids } = await seeded(open);
    expect((await search(store, "école")).map((m) => m.id)).toEqual([ids["ÉCOLE fermée demain"]]);
    expect(await search(store, "   ")).toEqual([]);
    expect(await search(store, "zebra")).toEqual([]);
    await store.close();
  });
});
