/**
 * Disappearing messages between real clients through the real server (in-process, real HTTP): a timer one
 * member sets reaches the other inside MLS, and each device deletes its messages once the timer has run out
 * for them, on sync and when history is read. Both device stores: SQLite (Node, CLI) and IndexedDB
 * (fake-indexeddb standing in for the browser's). Alice's clock is injected so an hour can pass.
 */
import "fake-indexeddb/auto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IDBFactory } from "fake-indexeddb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "@safelight/server";
import { backendOptions } from "@safelight/server/testing";
import { SafelightClient, type ClientStore, type ConversationEvent } from "@safelight/client";
import { IndexedDbClientStore } from "@safelight/client/browser";
import { SqliteClientStore } from "@safelight/client/node";
import { nodeCryptoProvider } from "@safelight/protocol/node";

let dir: string;
let server: { url: string; close(): Promise<void> };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "safelight-disappearing-"));
  server = await startServer({ dataDir: join(dir, "server"), host: "127.0.0.1", port: 0, handleSignals: false, logger: false, ...backendOptions(join(dir, "server")) });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const backends: [string, (name: string) => Promise<ClientStore>][] = [
  ["sqlite", async (name) => new SqliteClientStore(join(dir, `${name}.db`))],
  ["indexeddb", (name) => IndexedDbClientStore.open(name, new IDBFactory())],
];

describe.each(backends)("disappearing messages (%s store)", (backend, openStore) => {
  let aliceStore: ClientStore;
  let alice: SafelightClient;
  let bob: SafelightClient;
  let conv: string;
  /** Alice's clock: real time until a test moves it. */
  let aliceNow: number | undefined;
  const aliceEvents: ConversationEvent[] = [];

  beforeAll(async () => {
    aliceStore = await openStore(`alice_${backend}`);
    alice = new SafelightClient({ store: aliceStore, provider: nodeCryptoProvider, now: () => aliceNow ?? Date.now() });
    alice.onEvent((e) => aliceEvents.push(e));
    bob = new SafelightClient({ store: await openStore(`bob_${backend}`), provider: nodeCryptoProvider });
    await alice.register(server.url, `alice_${backend}`, "1990-05-05");
    await bob.register(server.url, `bob_${backend}`, "1990-05-05");
    ({ conversation: conv } = await alice.sendText(`bob_${backend}`, "before the timer"));
    await bob.sync();
    await bob.sendText(`alice_${backend}`, "bob's answer, also before"); // accepts alice's request
    await alice.sync();
  });

  afterAll(async () => {
    await Promise.all([alice.close(), bob.close()]);
  });

  /** Alice's stored messages (not the roster's timeline entries, which expire alike). */
  const texts = async () => (await aliceStore.listMessages(conv)).filter((m) => !m.device).map((m) => m.text);
  /** Alice's history, roster entries left out: texts, and the seconds of each timer line. */
  const timeline = async () => (await alice.history(conv)).filter((m) => !m.device).map((m) => m.timer ?? m.text);

  it("only the offered timers can be set", async () => {
    await expect(bob.setDisappearing(conv, 60)).rejects.toMatchObject({ code: "SL_CLIENT_BAD_INPUT" });
    expect((await bob.disappearing(conv)).seconds).toBe(0);
  });

  it("bob sets 1 hour: alice's device records it and tells its listeners", async () => {
    await bob.setDisappearing(conv, 3600);
    expect((await bob.disappearing(conv)).seconds).toBe(3600);
    aliceEvents.length = 0;
    await alice.sync();
    expect(aliceEvents).toEqual([expect.objectContaining({ type: "timer", seconds: 3600, from: `bob_${backend}`, conversation: conv })]);
    const setting = await alice.disappearing(conv);
    expect(setting).toMatchObject({ seconds: 3600, byAccountId: bob.me.accountId });
    expect(await texts()).toEqual(["before the timer", "bob's answer, also before"]);
    // The change is a line of the timeline, after the messages that came before it.
    expect(await timeline()).toEqual(["before the timer", "bob's answer, also before", 3600]);
    expect((await alice.history(conv)).at(-1)).toMatchObject({ senderAccountId: bob.me.accountId, outgoing: false, text: "" });
  });

  it("messages from before the timer count from when it was set; each goes once its hour is up", async () => {
    const { setAt } = await alice.disappearing(conv);
    await new Promise((r) => setTimeout(r, 1500));
    await bob.sendText(`alice_${backend}`, "after the timer");
    // Just under an hour after the timer: nothing has run out, not even the older messages.
    aliceNow = setAt! + 3600_000 - 1000;
    await alice.sync();
    expect(await texts()).toEqual(["before the timer", "bob's answer, also before", "after the timer"]);
    // Just over: the messages from before the timer are gone on sync; the newer one has time left.
    aliceNow = setAt! + 3600_000 + 700;
    await alice.sync();
    expect(await texts()).toEqual(["after the timer"]);
    // Reading history expires too, without a sync.
    aliceNow = setAt! + 2 * 3600_000;
    // What is left is the timeline's line for the timer itself.
    expect(await timeline()).toEqual([3600]);
    expect(await texts()).toEqual([]);
  });

  it("turning the timer off stops expiry", async () => {
    aliceNow = undefined;
    await bob.setDisappearing(conv, 0);
    await alice.sync();
    expect((await alice.disappearing(conv)).seconds).toBe(0);
    await bob.sendText(`alice_${backend}`, "kept");
    await alice.sync();
    aliceNow = Date.now() + 30 * 86400_000;
    expect(await timeline()).toEqual([3600, 0, "kept"]);
  });
});
