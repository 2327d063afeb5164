/**
 * Receipts, typing, replies and reactions between real clients through the real server (in-process, real
 * HTTP; SQLite and PostgreSQL): they arrive and fold into history, nothing is sent on the user's behalf into
 * a pending message request, and with read receipts off neither side sees them (docs/messaging.md).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "@safelight/server";
import { backendOptions } from "@safelight/server/testing";
import { SafelightClient, type ConversationEvent, type HistoryMessage } from "@safelight/client";
import { SqliteClientStore } from "@safelight/client/node";
import { nodeCryptoProvider } from "@safelight/protocol/node";

let dir: string;
let server: { url: string; close(): Promise<void> };
const events = new Map<string, ConversationEvent[]>();
const dropped: string[] = [];

function open(name: string): SafelightClient {
  const client = new SafelightClient({
    store: new SqliteClientStore(join(dir, `${name}.db`)),
    provider: nodeCryptoProvider,
    warn: (m) => dropped.push(`${name}: ${m}`),
  });
  client.onEvent((e) => events.get(name)!.push(e));
  return client;
}

async function newClient(name: string, birthdate = "1990-05-05"): Promise<SafelightClient> {
  events.set(name, []);
  const client = open(name);
  await client.register(server.url, name, birthdate);
  return client;
}

/** Syncs and returns the events that sync produced. */
async function eventsOf(name: string, client: SafelightClient): Promise<ConversationEvent[]> {
  events.set(name, []);
  await client.sync();
  return events.get(name)!;
}

const byText = async (client: SafelightClient, text: string): Promise<HistoryMessage> =>
  (await client.history()).find((m) => m.text === text)!;

let alice: SafelightClient;
let bob: SafelightClient;
let conv: string;
let hello: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "safelight-controls-"));
  server = await startServer({ dataDir: join(dir, "server"), host: "127.0.0.1", port: 0, handleSignals: false, logger: false, ...backendOptions(join(dir, "server")) });
  alice = await newClient("alice");
  bob = await newClient("bob");
  ({ id: hello, conversation: conv } = await alice.sendText("bob", "hello bob"));
  await bob.sync();
});

afterAll(async () => {
  await Promise.all([alice, bob].map((c) => c.close()));
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("controls inside MLS", () => {
  it("nothing goes on bob's behalf into alice's pending request: no delivery or read receipt, no typing", async () => {
    expect(await bob.markRead(conv, [hello])).toBe(0);
    expect(await bob.typing(conv, true)).toBe(false);
    expect(await eventsOf("alice", alice)).toEqual([]);
    expect((await byText(alice, "hello bob")).status).toBe("sent");
    // The request is still pending: nothing bob's client did accepted it.
    expect((await bob.safety.requests()).map((r) => r.name)).toEqual(["alice"]);
  });

  it("a reply names its target; both sides' history links it", async () => {
    const reply = await bob.sendText("alice", "hi alice", [], { replyTo: hello });
    expect((await bob.safety.requests()).length).toBe(0); // replying accepted the request (SL-V108)
    const got = await alice.sync();
    expect(got.map((m) => [m.text, m.replyTo])).toEqual([["hi alice", hello]]);
    expect((await byText(alice, "hi alice")).replyToId).toBe(hello);
    expect((await byText(bob, "hi alice")).replyToId).toBe(hello);
    expect(reply.conversation).toBe(conv);
    await expect(bob.sendText("alice", "?", [], { replyTo: "no-such-message" })).rejects.toMatchObject({ code: "SL_CLIENT_UNKNOWN_MESSAGE" });
  });

  it("delivery receipts come back from the recipient's sync, read receipts from markRead: sent → delivered → read", async () => {
    const { id } = await alice.sendText("bob", "second");
    expect((await byText(alice, "second")).status).toBe("sent");
    await bob.sync();
    const delivered = await eventsOf("alice", alice);
    expect(delivered).toMatchObject([{ type: "receipt", kind: "delivered", from: "bob", conversation: conv, messageIds: [id] }]);
    expect((await byText(alice, "second")).status).toBe("delivered");
    expect(await bob.markRead(conv, [id])).toBe(1);
    expect(await eventsOf("alice", alice)).toMatchObject([{ type: "receipt", kind: "read", messageIds: [id] }]);
    expect((await byText(alice, "second")).status).toBe("read");
    // Received messages carry no status; receipts are not messages.
    expect((await byText(bob, "second")).status).toBeUndefined();
    expect((await alice.history()).filter((m) => !m.device).map((m) => m.text)).toEqual(["hello bob", "hi alice", "second"]);
  });

  it("reactions fold into the target on both sides and can be taken back", async () => {
    await bob.react(hello, "👍🏽");
    await bob.react(hello, "❤️");
    expect(await eventsOf("alice", alice)).toMatchObject([
      { type: "reaction", messageId: hello, emoji: "👍🏽", remove: false, from: "bob" },
      { type: "reaction", messageId: hello, emoji: "❤️", remove: false },
    ]);
    const bobId = bob.me.accountId;
    expect((await byText(alice, "hello bob")).reactions).toEqual([
      { emoji: "👍🏽", accountIds: [bobId] },
      { emoji: "❤️", accountIds: [bobId] },
    ]);
    expect((await byText(bob, "hello bob")).reactions).toEqual((await byText(alice, "hello bob")).reactions);
    await bob.react(hello, "👍🏽", { remove: true });
    await alice.sync();
    expect((await byText(alice, "hello bob")).reactions).toEqual([{ emoji: "❤️", accountIds: [bobId] }]);
    for (const bad of ["lol", "👍👍", ""]) {
      await expect(bob.react(hello, bad)).rejects.toMatchObject({ code: "SL_CLIENT_BAD_INPUT" });
    }
  });

  it("typing indicators reach the other side as events, throttled, and are never stored", async () => {
    const before = (await bob.history()).length;
    expect(await alice.typing(conv, false)).toBe(false); // nothing to stop
    expect(await alice.typing(conv, true)).toBe(true);
    expect(await alice.typing(conv, true)).toBe(false); // at most one per 3 s
    expect(await alice.typing(conv, false)).toBe(true);
    expect((await eventsOf("bob", bob)).map((e) => [e.type, e.type === "typing" && e.on])).toEqual([
      ["typing", true],
      ["typing", false],
    ]);
    expect((await bob.history()).length).toBe(before);
  });

  it("with read receipts off a device sends none and shows none; the setting survives a restart", async () => {
    await bob.setReadReceipts(false);
    await bob.close();
    bob = open("bob");
    await bob.open();
    expect(bob.readReceipts).toBe(false);

    const { id } = await alice.sendText("bob", "third");
    await bob.sync();
    expect(await bob.markRead(conv, [id])).toBe(0);
    expect((await eventsOf("alice", alice)).map((e) => e.type === "receipt" && e.kind)).toEqual(["delivered"]);
    expect((await byText(alice, "third")).status).toBe("delivered");

    // Alice still sends read receipts, but bob does not see them.
    const fromBob = await bob.sendText("alice", "bob again");
    await alice.sync();
    expect(await alice.markRead(conv, [fromBob.id])).toBe(1);
    await bob.sync();
    expect((await byText(bob, "bob again")).status).toBe("delivered");
    // Nor does alice once she turns them off: what bob read earlier shows as delivered.
    await alice.setReadReceipts(false);
    expect((await byText(alice, "second")).status).toBe("delivered");
    await bob.setReadReceipts(true);
    expect((await byText(bob, "bob again")).status).toBe("read");
  });

  it("typing is off for a teen towards someone who is not a contact, unless the teen turns it on; an adult's is on unless turned off", async () => {
    const tom = await newClient("tom", "2011-03-03");
    await newClient("tina", "2011-04-04");
    const dave = await newClient("dave");
    const toTina = await tom.sendText("tina", "hi tina");
    const toBob = await dave.sendText("bob", "hi bob, dave here");
    expect(await tom.typingSetting()).toBe("contacts");
    expect(await dave.typingSetting()).toBe("everyone");
    expect(await tom.typing(toTina.conversation, true)).toBe(false);
    expect(await dave.typing(toBob.conversation, true)).toBe(true);
    // The default is a default: tom may turn them off altogether, or choose to send them to everyone.
    await tom.setTypingIndicators("off");
    expect(await tom.typing(toTina.conversation, true)).toBe(false);
    await tom.setTypingIndicators("everyone");
    expect(await tom.typingSetting()).toBe("everyone");
    expect(await tom.typing(toTina.conversation, true)).toBe(true);
    await expect(dave.setTypingIndicators("friends" as never)).rejects.toMatchObject({ code: "SL_CLIENT_BAD_INPUT" });
    await Promise.all([tom.close(), dave.close()]);
  });

  it("dropped nothing", () => {
    expect(dropped).toEqual([]);
  });
});

