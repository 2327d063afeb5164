/** The messaging core end to end: real server process, real CLI, several profiles. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackend } from "@safelight/server/testing";
import { cleanup, filesUnder, ok, plaintextsFound, run, ServerProcess, syncJson, tempDir } from "./harness.js";

let data: string;
let profiles: string;
let server: ServerProcess;
const sentPlaintexts: string[] = [];
const p = (name: string) => join(profiles, name);

async function register(name: string, birthdate = "1990-01-01") {
  await ok(["--profile", p(name), "register", "--server", server.url, "--name", name, "--birthdate", birthdate]);
}

async function send(from: string, to: string, text: string, extra: string[] = []) {
  sentPlaintexts.push(text);
  return ok(["--profile", p(from), "send", to, text, ...extra]);
}

async function sendGroup(from: string, group: string, text: string) {
  sentPlaintexts.push(text);
  return ok(["--profile", p(from), "send", "--group", group, text]);
}

beforeAll(async () => {
  data = tempDir("data");
  profiles = tempDir("profiles");
  server = new ServerProcess(data);
  await server.start();
  for (const n of ["alice", "bob", "carol", "dave"]) await register(n);
});

afterAll(async () => {
  await server.kill();
  cleanup(data, profiles);
});

describe("messaging core (CLI against the real server)", () => {
  it("Alice and Bob talk 1:1 both ways", async () => {
    await send("alice", "bob", "hi bob, it's alice");
    const atBob = await syncJson(p("bob"), 10);
    expect(atBob.map((m) => [m.from, m.text, m.kind])).toEqual([["alice", "hi bob, it's alice", "direct"]]);

    await send("bob", "alice", "hello alice");
    const atAlice = await syncJson(p("alice"), 10);
    expect(atAlice.map((m) => [m.from, m.text])).toEqual([["bob", "hello alice"]]);
    expect(atAlice[0]!.conversation).toBe(atBob[0]!.conversation);

    // The conversation is reused, not recreated.
    await send("alice", "bob", "second message");
    const again = await syncJson(p("bob"), 10);
    expect(again.map((m) => m.conversation)).toEqual([atBob[0]!.conversation]);
  });

  it("muting hides an account's messages from sync without telling it; unmuting shows them again", async () => {
    await ok(["--profile", p("bob"), "mute", "Alice"]);
    await send("alice", "bob", "you cannot see me");
    const text = await ok(["--profile", p("bob"), "sync", "--wait", "10"]);
    expect(text).not.toContain("you cannot see me");
    await send("alice", "bob", "still muted");
    const json = await syncJson(p("bob"), 10);
    expect(json.map((m) => [m.text, (m as { muted?: boolean }).muted])).toEqual([["still muted", true]]);
    await ok(["--profile", p("bob"), "unmute", "alice"]);
    await send("alice", "bob", "visible again");
    expect(await ok(["--profile", p("bob"), "sync", "--wait", "10"])).toContain("alice: visible again");
  });

  it("search finds messages in the device's own history, case-insensitively, with the server stopped", async () => {
    // Stopped, so a search that asked the server could not answer.
    await server.kill();
    try {
      const out = await ok(["--profile", p("bob"), "search", "ALICE", "--json"]);
      const hits = out.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { from: string; text: string; outgoing: boolean; conversation: string });
      expect(hits.map((h) => [h.from, h.text, h.outgoing])).toEqual([
        ["alice", "hi bob, it's alice", false],
        ["bob", "hello alice", true],
      ]);
      expect(await ok(["--profile", p("bob"), "search", "still MUTED"])).toMatch(/^\S+Z \S+ alice: still muted\n$/);
      expect(await ok(["--profile", p("bob"), "search", "alice", "--conversation", "no-such-conversation"])).toBe("");
      expect(await ok(["--profile", p("bob"), "search", "not in any message"])).toBe("");
    } finally {
      await server.start();
    }
  });

  it("a group of three; adding and removing members", async () => {
    const title = "Secret Book Club Title";
    sentPlaintexts.push(title);
    const group = (await ok(["--profile", p("alice"), "group", "create", title, "--members", "bob,carol"])).trim();
    expect(group).toMatch(/^[A-Za-z0-9_-]{16,}$/);

    await sendGroup("alice", group, "welcome to the club");
    for (const who of ["bob", "carol"]) {
      const got = await syncJson(p(who), 10);
      expect(got.map((m) => [m.from, m.text, m.title])).toEqual([["alice", "welcome to the club", title]]);
    }
    await sendGroup("carol", group, "thanks alice");
    expect((await syncJson(p("alice"), 10)).map((m) => m.text)).toEqual(["thanks alice"]);
    expect((await syncJson(p("bob"), 10)).map((m) => m.text)).toEqual(["thanks alice"]);

    await ok(["--profile", p("bob"), "group", "add", group, "dave"]);
    await sendGroup("bob", group, "hi dave");
    expect((await syncJson(p("dave"), 10)).map((m) => [m.from, m.text, m.title])).toEqual([["bob", "hi dave", title]]);

    await ok(["--profile", p("alice"), "group", "remove", group, "carol"]);
    await sendGroup("alice", group, "carol is gone now");
    expect((await syncJson(p("dave"), 10)).map((m) => m.text)).toEqual(["carol is gone now"]);
    expect((await syncJson(p("bob"), 10)).map((m) => m.text)).toEqual(["carol is gone now"]);
    // Carol processes the commit that removed her, and cannot read what came after.
    expect((await syncJson(p("carol"), 2)).map((m) => m.text)).toEqual(["hi dave"]);
    const carolTries = await run(["--profile", p("carol"), "send", "--group", group, "am I still here?"]);
    expect(carolTries.code).not.toBe(0);
    expect(carolTries.stderr).toMatch(/no longer a member/);
  });

  it("a second device linked later receives new messages in old and new conversations", async () => {
    const codeOut = await ok(["--profile", p("alice"), "link-device"]);
    const code = codeOut.split("\n")[0]!.trim();
    await ok(["--profile", p("alice2"), "link-device", "--server", server.url, "--code", code]);
    // The code is single use.
    const reuse = await run(["--profile", p("mallory"), "link-device", "--server", server.url, "--code", code]);
    expect(reuse.code).not.toBe(0);

    // Alice's first device learns of the new device and adds it to her conversations.
    await syncJson(p("alice"), 0);
    await send("bob", "alice", "do both your devices get this?");
    const onFirst = await syncJson(p("alice"), 10);
    const onSecond = await syncJson(p("alice2"), 10);
    expect(onFirst.map((m) => m.text)).toEqual(["do both your devices get this?"]);
    expect(onSecond.map((m) => [m.from, m.text])).toEqual([["bob", "do both your devices get this?"]]);

    // A conversation created after the link includes both of Alice's devices.
    await send("dave", "alice", "new conversation from dave");
    expect((await syncJson(p("alice2"), 10)).map((m) => m.text)).toEqual(["new conversation from dave"]);
    expect((await syncJson(p("alice"), 10)).map((m) => m.text)).toEqual(["new conversation from dave"]);
  });

  it("a file arrives byte-identical", async () => {
    const file = join(profiles, "photo.bin");
    const bytes = Buffer.alloc(300_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
    const marker = "FILE-PLAINTEXT-MARKER-7f3a";
    bytes.write(marker, 1000);
    sentPlaintexts.push(marker);
    writeFileSync(file, bytes);
    // Attachments from message requests are withheld (docs/safety.md): dave approves carol as a contact first.
    await ok(["--profile", p("dave"), "accept", "carol"]);
    await send("carol", "dave", "see attached", ["--file", file]);
    const got = await syncJson(p("dave"), 10);
    expect(got).toHaveLength(1);
    expect(got[0]!.files).toHaveLength(1);
    expect(Buffer.compare(readFileSync(got[0]!.files![0]!.path!), bytes)).toBe(0);
  });

  it("Bob offline: 50 messages survive a SIGKILL of the server, delivered once and in order", async () => {
    const texts = Array.from({ length: 50 }, (_, i) => `offline message number ${i + 1}`);
    for (const t of texts) await send("alice", "bob", t);
    await server.kill("SIGKILL");
    await server.start();
    const got = await syncJson(p("bob"), 10);
    expect(got.map((m) => m.text)).toEqual(texts);
    expect(new Set(got.map((m) => m.id)).size).toBe(50);
    expect(await syncJson(p("bob"), 0)).toEqual([]);
  }, 600_000);

  it("the server's stored data holds no plaintext", async () => {
    expect(sentPlaintexts.length).toBeGreaterThan(55);
    if (testBackend === "sqlite") expect(filesUnder(data).some((f) => f.endsWith(".db"))).toBe(true);
    expect(await plaintextsFound([data], [server.log], sentPlaintexts)).toEqual([]);
  });
});
