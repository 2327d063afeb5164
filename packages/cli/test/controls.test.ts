/** Replies, reactions, receipts and disappearing-message timers through the real CLI and a real server process (docs/messaging.md):
 *  `sync --json` carries them, `history` folds them, and the server's stored data holds none of them. */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackend } from "@safelight/server/testing";
import { cleanup, filesUnder, ok, plaintextsFound, run, ServerProcess, syncJson, syncLines, tempDir } from "./harness.js";

let data: string;
let profiles: string;
let server: ServerProcess;
const p = (name: string) => join(profiles, name);
const cli = (name: string, ...args: string[]) => ok(["--profile", p(name), ...args]);
const sentId = (out: string) => /^sent (\S+) to (\S+)$/m.exec(out)!.slice(1) as [string, string];

const REPLY_TEXT = "a reply only members can read, 7f3a";
const EMOJI = "🦩";

async function historyJson(name: string, conversation: string): Promise<Record<string, unknown>[]> {
  return (await cli(name, "history", conversation, "--json")).split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((m) => m.kind !== "device-change");
}

beforeAll(async () => {
  data = tempDir("controls-data");
  profiles = tempDir("controls-profiles");
  server = new ServerProcess(data);
  await server.start();
  for (const n of ["alice", "bob"]) await cli(n, "register", "--server", server.url, "--name", n, "--birthdate", "1990-01-01");
});

afterAll(async () => {
  await server.kill();
  cleanup(data, profiles);
});

describe("receipts, replies and reactions (CLI against the real server)", () => {
  let hello: string;
  let conv: string;

  it("no delivery receipt goes back while alice's request to bob is pending", async () => {
    [hello, conv] = sentId(await cli("alice", "send", "bob", "hello bob"));
    expect((await syncJson(p("bob"), 10)).map((m) => m.text)).toEqual(["hello bob"]);
    expect(await syncLines(p("alice"))).toEqual([]);
    expect((await historyJson("alice", conv)).map((m) => m.status)).toEqual(["sent"]);
  });

  it("a reply carries its target id, and the reply's delivery receipt reaches bob", async () => {
    const [reply] = sentId(await cli("bob", "send", "alice", REPLY_TEXT, "--reply-to", hello));
    const atAlice = await syncLines(p("alice"), 10);
    expect(atAlice).toMatchObject([{ id: reply, kind: "direct", from: "bob", text: REPLY_TEXT, replyTo: hello }]);
    expect(await syncLines(p("bob"))).toMatchObject([{ kind: "receipt", receipt: "delivered", ids: [reply], from: "alice", conversation: conv }]);
    expect((await historyJson("bob", conv)).find((m) => m.id === reply)).toMatchObject({ replyTo: hello, status: "delivered" });
  });

  it("a reaction shows in sync --json and folds into history; --remove takes it back", async () => {
    expect(await cli("bob", "react", hello, EMOJI)).toBe(`reacted ${EMOJI} to ${hello}\n`);
    expect(await syncLines(p("alice"))).toMatchObject([{ kind: "reaction", id: hello, emoji: EMOJI, from: "bob", conversation: conv }]);
    expect((await historyJson("alice", conv))[0]).toMatchObject({ id: hello, reactions: [{ emoji: EMOJI, from: ["bob"] }] });
    await cli("bob", "react", hello, EMOJI, "--remove");
    expect(await syncLines(p("alice"))).toMatchObject([{ kind: "reaction", id: hello, emoji: EMOJI, remove: true }]);
    expect((await historyJson("alice", conv))[0]!.reactions).toBeUndefined();
    const bad = await run(["--profile", p("bob"), "react", hello, "not an emoji"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("exactly one emoji");
  });

  it("`read` sends a read receipt; with read-receipts off it sends none", async () => {
    expect(await cli("bob", "read", conv)).toBe("read receipt for 1 messages\n");
    expect(await syncLines(p("alice"))).toMatchObject([{ kind: "receipt", receipt: "read", ids: [hello], from: "bob" }]);
    expect((await historyJson("alice", conv))[0]).toMatchObject({ status: "read" });
    expect(await cli("alice", "read-receipts", "off")).toBe("read receipts off\n");
    expect(await cli("alice", "read-receipts")).toBe("read receipts off\n");
    expect((await historyJson("alice", conv))[0]).toMatchObject({ status: "delivered" });
    expect(await cli("alice", "read", conv)).toBe("no read receipt sent\n");
    expect(await syncLines(p("bob"))).toEqual([]);
  });

  it("`disappearing` shows and sets the timer; sync --json tells the other member; a bad value is refused", async () => {
    expect(await cli("alice", "disappearing", conv)).toBe("disappearing messages off\n");
    expect(await cli("bob", "disappearing", conv, "1h")).toBe("bob set disappearing messages to 1 hour\n");
    expect(await syncLines(p("alice"))).toMatchObject([{ kind: "timer", conversation: conv, from: "bob", seconds: 3600 }]);
    expect(await cli("alice", "disappearing", conv)).toBe("bob set disappearing messages to 1 hour\n");
    expect(await cli("alice", "disappearing", conv, "off")).toBe("alice turned disappearing messages off\n");
    expect(await syncLines(p("bob"))).toMatchObject([{ kind: "timer", from: "alice", seconds: 0 }]);
    // Both changes are lines of the conversation's history, after its messages.
    const lines = (await cli("bob", "history", conv, "--json")).trim().split("\n").map((l) => JSON.parse(l) as { kind?: string });
    expect(lines.slice(-2)).toMatchObject([
      { kind: "timer", from: "bob", seconds: 3600 },
      { kind: "timer", from: "alice", seconds: 0 },
    ]);
    expect(await cli("bob", "history", conv)).toContain("alice turned disappearing messages off");
    const bad = await run(["--profile", p("bob"), "disappearing", conv, "2h"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("must be one of off, 5m, 1h, 1d, 1w");
  });

  it("`typing-indicators` shows the age band's default, keeps a choice, and refuses a bad value", async () => {
    expect(await cli("alice", "typing-indicators")).toBe("typing indicators: everyone\n");
    expect(await cli("alice", "typing-indicators", "contacts")).toBe("typing indicators: contacts\n");
    expect(await cli("alice", "typing-indicators")).toBe("typing indicators: contacts\n");
    const bad = await run(["--profile", p("alice"), "typing-indicators", "friends"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("must be one of everyone, contacts, off");
  });

  it("the server's stored data holds neither the reply's text nor the reaction", async () => {
    if (testBackend === "sqlite") expect(filesUnder(data).some((f) => f.endsWith(".db"))).toBe(true);
    expect(await plaintextsFound([data], [server.log], [REPLY_TEXT, EMOJI, "hello bob"])).toEqual([]);
  });
});
