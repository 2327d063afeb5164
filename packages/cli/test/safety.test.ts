/**
 * Child-safety rules on metadata (docs/safety.md), end to end: real server processes, real CLI.
 * Two servers: one on the default policy (adults cannot request teens), one whose policy file lets
 * adults send requests to teens and restricts after more than 2 distinct teens.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackend } from "@safelight/server/testing";
import { cleanup, filesUnder, ok, plaintextsFound, run, ServerProcess, syncLines, tempDir } from "./harness.js";

const year = new Date().getUTCFullYear();
const ADULT = "1990-01-01";
const TEEN = `${year - 15}-01-01`;
const CHILD = `${year - 10}-01-01`;

let profiles: string;
const strict = { data: "", server: undefined as unknown as ServerProcess };
const open = { data: "", server: undefined as unknown as ServerProcess };
const sentPlaintexts: string[] = [];
const p = (name: string) => join(profiles, name);

interface Line {
  kind?: string;
  reason?: string;
  about?: string;
  from?: string;
  text?: string;
  request?: boolean;
  files?: { name: string; type: string; size: number; path?: string; unavailable?: string }[];
}

async function register(where: typeof strict, name: string, birthdate: string) {
  await ok(["--profile", p(name), "register", "--server", where.server.url, "--name", name, "--birthdate", birthdate]);
}

function send(from: string, to: string, text: string, extra: string[] = []) {
  sentPlaintexts.push(text);
  return run(["--profile", p(from), "send", to, text, ...extra]);
}

async function sendOk(from: string, to: string, text: string, extra: string[] = []) {
  const r = await send(from, to, text, extra);
  if (r.code !== 0) throw new Error(`send ${from} -> ${to} failed: ${r.stderr}`);
}

/** Messages and safety notices; receipts and reactions are covered in controls.test.ts. */
async function sync(name: string, wait = 0): Promise<Line[]> {
  return (await syncLines(p(name), wait)).filter((l) => l.kind !== "receipt" && l.kind !== "reaction") as Line[];
}

const messages = (lines: Line[]) => lines.filter((l) => l.kind !== "safety-notice" && l.kind !== "device-change");
const notices = (lines: Line[]) => lines.filter((l) => l.kind === "safety-notice");

beforeAll(async () => {
  profiles = tempDir("safety-profiles");
  strict.data = tempDir("safety-strict");
  open.data = tempDir("safety-open");
  writeFileSync(
    join(open.data, "safety-policy.json"),
    JSON.stringify({
      adultToTeen: "request",
      rules: [
        {
          name: "adult-mass-contacts-teens",
          signal: "distinct-teens-requested",
          windowHours: 24,
          threshold: 2,
          actions: ["restrict-teen-contact", "notify-recipients", "review"],
        },
      ],
    }),
  );
  strict.server = new ServerProcess(strict.data);
  open.server = new ServerProcess(open.data);
  await Promise.all([strict.server.start(), open.server.start()]);
  // Registrations two at a time (one per server) to keep the suite short.
  const strictPeople: [string, string][] = [["adam", ADULT], ["tina", TEEN], ["stan", ADULT], ["rita", ADULT], ["bert", ADULT], ["bella", ADULT], ["ada", ADULT], ["ben", ADULT]];
  const openPeople: [string, string][] = [["owen", ADULT], ["tara", TEEN], ["max", ADULT], ["t1", TEEN], ["t2", TEEN], ["t3", TEEN], ["mod", ADULT], ["gus", ADULT]];
  for (let i = 0; i < Math.max(strictPeople.length, openPeople.length); i++) {
    await Promise.all([
      strictPeople[i] && register(strict, ...strictPeople[i]!),
      openPeople[i] && register(open, ...openPeople[i]!),
    ]);
  }
}, 180_000);

afterAll(async () => {
  await Promise.all([strict.server?.kill(), open.server?.kill()]);
  cleanup(profiles, strict.data, open.data);
});

describe("child-safety rules (CLI against the real server)", () => {
  it("a server given a bad policy file refuses to start, naming the field", async () => {
    const bad = join(profiles, "bad-policy.json");
    writeFileSync(bad, JSON.stringify({ adultToTeen: "sometimes" }));
    const r = await run(["server", "--data", join(profiles, "unused-data"), "--port", "0", "--policy", bad]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/safety policy: adultToTeen must be "refuse" or "request"/);
  });

  it("refuses accounts under 13 at registration", async () => {
    const r = await run(["--profile", p("kid"), "register", "--server", strict.server.url, "--name", "kid", "--birthdate", CHILD]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/aged 13 and over/);
  });

  it("default policy: an adult cannot message an unconnected teen, and the teen cannot pre-approve the adult", async () => {
    const refused = await send("adam", "tina", "hi tina, I'm adam");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/tina is under 18 and not one of your contacts/);
    const teenTries = await run(["--profile", p("tina"), "accept", "adam"]);
    expect(teenTries.code).not.toBe(0);
    expect(teenTries.stderr).toMatch(/no message request from adam/);
    expect((await send("adam", "tina", "still trying")).code).not.toBe(0);
    expect(await sync("tina")).toEqual([]);

    // The teen chooses: her message to the adult is a request for him; his reply reaches her.
    await sendOk("tina", "adam", "hi adam, it's tina from chess club");
    const atAdam = messages(await sync("adam", 10));
    expect(atAdam.map((m) => [m.from, m.text, m.request])).toEqual([["tina", "hi adam, it's tina from chess club", true]]);
    await sendOk("adam", "tina", "hi tina, see you at the club");
    const atTina = await sync("tina", 10);
    expect(atTina.map((m) => [m.from, m.text, m.request])).toEqual([["adam", "hi tina, see you at the club", undefined]]);
  });

  it("request policy: the adult's message is a request with a safety notice; after the teen accepts they talk", async () => {
    await sendOk("owen", "tara", "hello tara, owen here");
    const atTara = await sync("tara", 10);
    expect(notices(atTara).map((n) => [n.reason, n.about])).toEqual([["adult-stranger", "owen"]]);
    expect(messages(atTara).map((m) => [m.from, m.text, m.request])).toEqual([["owen", "hello tara, owen here", true]]);
    const inbox = await ok(["--profile", p("tara"), "requests"]);
    expect(inbox).toMatch(/request from owen/);
    expect(inbox).toMatch(/safety notice: This message request is from an adult you are not connected to/);

    await ok(["--profile", p("tara"), "accept", "owen"]);
    expect(await ok(["--profile", p("tara"), "requests"])).toMatch(/no message requests/);
    expect(await ok(["--profile", p("tara"), "contacts"])).toBe("owen\n");
    await sendOk("owen", "tara", "glad you accepted");
    expect((await sync("tara", 10)).map((m) => [m.from, m.text, m.request])).toEqual([["owen", "glad you accepted", undefined]]);
  });

  it("a stranger's first message is a request; its attachment is withheld until accepted", async () => {
    const file = join(profiles, "note.bin");
    const bytes = Buffer.from("REQUEST-ATTACHMENT-PLAINTEXT-51c2 ".repeat(100));
    sentPlaintexts.push("REQUEST-ATTACHMENT-PLAINTEXT-51c2");
    writeFileSync(file, bytes);
    await sendOk("stan", "rita", "hi rita, we met at the conference", ["--file", file]);
    expect(await ok(["--profile", p("rita"), "requests"])).toMatch(/request from stan/);
    const first = await sync("rita", 10);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ from: "stan", text: "hi rita, we met at the conference", request: true });
    expect(first[0]!.files).toEqual([{ name: "note.bin", type: expect.any(String), size: bytes.length, unavailable: expect.stringMatching(/accept the request/) }]);

    // Accepting fetches what was withheld.
    const accepted = await ok(["--profile", p("rita"), "accept", "stan"]);
    const path = /attachment now available: (.+)/.exec(accepted)?.[1];
    expect(path).toBeDefined();
    expect(Buffer.compare(readFileSync(path!), bytes)).toBe(0);
    expect(await ok(["--profile", p("rita"), "contacts"])).toBe("stan\n");
    await sendOk("stan", "rita", "here it is again", ["--file", file]);
    const second = await sync("rita", 10);
    expect(second.map((m) => [m.text, m.request])).toEqual([["here it is again", undefined]]);
    expect(Buffer.compare(readFileSync(second[0]!.files![0]!.path!), bytes)).toBe(0);
  });

  it("SL-V108 replying to a request accepts it: what it withheld downloads, later files arrive, no null entries", async () => {
    const file = join(profiles, "reply.bin");
    const bytes = Buffer.from("REPLY-ACCEPTS-PLAINTEXT-9f3e ".repeat(80));
    sentPlaintexts.push("REPLY-ACCEPTS-PLAINTEXT-9f3e");
    writeFileSync(file, bytes);
    await sendOk("ada", "ben", "hello ben, a file for you", ["--file", file]);
    const first = await sync("ben", 10);
    expect(first.map((m) => [m.from, m.request])).toEqual([["ada", true]]);
    expect(first[0]!.files![0]).toMatchObject({ name: "reply.bin", unavailable: expect.stringMatching(/accept the request/) });

    await sendOk("ben", "ada", "hi ada, thanks");
    expect(await ok(["--profile", p("ben"), "requests"])).toMatch(/no message requests/);
    expect(await ok(["--profile", p("ben"), "contacts"])).toBe("ada\n");

    await sendOk("ada", "ben", "and another", ["--file", file]);
    const later = await sync("ben", 10);
    expect(later.map((m) => [m.from, m.text, m.request])).toEqual([["ada", "and another", undefined]]);
    expect(later[0]!.files).toHaveLength(1);
    expect(Buffer.compare(readFileSync(later[0]!.files![0]!.path!), bytes)).toBe(0);
    for (const line of [...first, ...later]) for (const f of line.files ?? []) expect(f).not.toBeNull();
  });

  it("block: nothing from the blocked account arrives, queued or new, and it is not told; unblock restores", async () => {
    await sendOk("bert", "bella", "hi bella");
    expect(messages(await sync("bella", 10)).map((m) => m.text)).toEqual(["hi bella"]);
    await sendOk("bert", "bella", "queued before the block");
    await ok(["--profile", p("bella"), "block", "bert"]);
    await sendOk("bert", "bella", "sent while blocked"); // succeeds: the blocked side is not told
    expect(await sync("bella", 1)).toEqual([]);
    expect(await ok(["--profile", p("bella"), "requests"])).toMatch(/no message requests/);
    expect(await ok(["--profile", p("bella"), "contacts"])).toBe("bert (blocked)\n");

    await ok(["--profile", p("bella"), "unblock", "bert"]);
    await sendOk("bert", "bella", "after the unblock");
    expect(messages(await sync("bella", 10)).map((m) => m.text)).toEqual(["after the unblock"]);
  });

  it("an adult requesting more than 2 distinct teens is restricted, its contacts warned (SL-V108: a teen's reply no longer accepts), and a moderator lifts it", async () => {
    await sendOk("max", "t1", "hey t1");
    await sendOk("max", "t2", "hey t2");
    const third = await send("max", "t3", "hey t3");
    expect(third.code).not.toBe(0);
    expect(third.stderr).toMatch(/restricted from contacting teens/);
    const later = await send("max", "t3", "hey t3, again");
    expect(later.code).not.toBe(0);
    expect(later.stderr).toMatch(/restricted from contacting teens/);
    // In the request conversations already open, nothing more reaches the teens (max is not told).
    await sendOk("max", "t1", "are you there t1?");

    const atT1 = await sync("t1", 10);
    expect(notices(atT1).map((n) => [n.reason, n.about])).toEqual([
      ["adult-stranger", "max"],
      ["flagged-sender", "max"],
    ]);
    expect(messages(atT1).map((m) => [m.from, m.text, m.request])).toEqual([["max", "hey t1", true]]);
    expect(await sync("t3")).toEqual([]);
    // Replying would accept the request, which the restriction now forbids: the reply is refused.
    const reply = await send("t1", "max", "who are you?");
    expect(reply.code).not.toBe(0);
    expect(reply.stderr).toMatch(/max is restricted from contacting teens/);
    expect(await ok(["--profile", p("t1"), "requests"])).toMatch(/max/);

    // Only moderators see and lift actions.
    const notMod = await run(["--profile", p("mod"), "mod", "lift", "max"]);
    expect(notMod.code).not.toBe(0);
    expect(notMod.stderr).toMatch(/moderator role required/);
    await ok(["admin", "grant-moderator", "mod", "--data", open.data]);
    const actions = await ok(["--profile", p("mod"), "mod", "safety-actions", "--account", "max"]);
    expect(actions).toMatch(/max restrict-teen-contact \(rule adult-mass-contacts-teens, by auto, active\)/);
    expect(actions).toMatch(/max review/);
    expect(await ok(["--profile", p("mod"), "mod", "lift", "max"])).toBe("lifted 3 actions on max\n");
    await sendOk("max", "t3", "hey t3, after the lift");
    expect(messages(await sync("t3", 10)).map((m) => [m.from, m.text, m.request])).toEqual([["max", "hey t3, after the lift", true]]);
  });

  it("group adds that break the contact rule are refused", async () => {
    // owen and tara are contacts (accepted above); gus is nobody's contact.
    const group = (await ok(["--profile", p("owen"), "group", "create", "Chess Club Title", "--members", "tara"])).trim();
    sentPlaintexts.push("Chess Club Title");
    const add = await run(["--profile", p("gus"), "group", "create", "Gus Group Title", "--members", "owen,tara"]);
    sentPlaintexts.push("Gus Group Title");
    expect(add.code).not.toBe(0);
    expect(add.stderr).toMatch(/tara is under 18 and not one of your contacts: adults cannot add teens/);
    // Once in owen's group, gus still cannot add a teen who is not his contact.
    await ok(["--profile", p("owen"), "accept", "gus"]);
    await ok(["--profile", p("owen"), "group", "add", group, "gus"]);
    await ok(["--profile", p("gus"), "sync"]);
    const gusAdds = await run(["--profile", p("gus"), "group", "add", group, "t1"]);
    expect(gusAdds.code).not.toBe(0);
    expect(gusAdds.stderr).toMatch(/t1 is under 18 and not one of your contacts: adults cannot add teens/);

    // Teens choose who may message them, on top of the policy.
    expect(await ok(["--profile", p("t2"), "who-can-message", "contacts"])).toBe("contacts (age band: teen)\n");
    const gusTries = await send("gus", "t2", "hi t2");
    expect(gusTries.code).not.toBe(0);
    expect(gusTries.stderr).toMatch(/t2 only accepts messages from contacts/);
  });

  it("none of this reads plaintext: the servers' stored data holds no message text", async () => {
    expect(sentPlaintexts.length).toBeGreaterThan(15);
    const dirs = [strict.data, open.data];
    if (testBackend === "sqlite") expect(dirs.flatMap(filesUnder).filter((f) => f.endsWith(".db"))).toHaveLength(2);
    expect(await plaintextsFound(dirs, [strict.server.log, open.server.log], sentPlaintexts)).toEqual([]);
  });
});
