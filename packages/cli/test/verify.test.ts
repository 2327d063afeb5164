/**
 * Safety numbers end to end (docs/safety-numbers.md): the real server and the real CLI on both sides, and
 * the SDK on the same profile files. Runs on every backend (testBackend).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SafelightClient } from "@safelight/client";
import { SqliteClientStore } from "@safelight/client/node";
import { formatSafetyNumber } from "@safelight/protocol";
import { testBackend } from "@safelight/server/testing";
import { cleanup, ok, run, ServerProcess, tempDir } from "./harness.js";

let data: string;
let profiles: string;
let server: ServerProcess;
const p = (name: string) => join(profiles, name);

interface VerifyLine {
  name: string;
  number: string;
  payload: string;
  verified: boolean;
  changedSinceVerified: boolean;
}

async function verify(who: string, peer: string, extra: string[] = []): Promise<VerifyLine> {
  return JSON.parse(await ok(["--profile", p(who), "verify", peer, "--json", ...extra])) as VerifyLine;
}

/** The SDK on the profile the CLI uses (the CLI is not running at the same time). */
async function sdkNumber(who: string, peer: string): Promise<string> {
  const client = await new SafelightClient({ store: new SqliteClientStore(join(p(who), "client.db")) }).open();
  try {
    return (await client.safetyNumber(peer)).digits;
  } finally {
    await client.close();
  }
}

beforeAll(async () => {
  data = tempDir("verify-data");
  profiles = tempDir("verify-profiles");
  server = new ServerProcess(data);
  await server.start();
  for (const n of ["alice", "bob"]) {
    await ok(["--profile", p(n), "register", "--server", server.url, "--name", n, "--birthdate", "1990-01-01"]);
  }
});

afterAll(async () => {
  await server.kill();
  cleanup(data, profiles);
});

describe(`safelight verify (${testBackend})`, () => {
  it("prints the same 60 digits on both sides, grouped 12×5, and the SDK agrees", async () => {
    const a = await verify("alice", "bob");
    const b = await verify("bob", "alice");
    expect(a.number).toMatch(/^\d{60}$/);
    expect(b.number).toBe(a.number);
    expect(await sdkNumber("alice", "bob")).toBe(a.number);
    const text = await ok(["--profile", p("alice"), "verify", "bob"]);
    expect(text).toContain(formatSafetyNumber(a.number));
    expect(formatSafetyNumber(a.number).split(" ")).toHaveLength(12);
    expect(text).toContain("bob is not verified");
  });

  it("refuses a number that differs, exits non-zero and stores nothing", async () => {
    const a = await verify("alice", "bob");
    const wrong = a.number.slice(0, 59) + String((Number(a.number[59]) + 1) % 10);
    const r = await run(["--profile", p("alice"), "verify", "bob", "--confirm", wrong]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/does not match/);
    expect((await verify("alice", "bob")).verified).toBe(false);
  });

  it("marks the contact verified from the other side's digits or payload", async () => {
    const a = await verify("alice", "bob");
    const b = await verify("bob", "alice");
    expect((await verify("alice", "bob", ["--confirm", formatSafetyNumber(b.number)])).verified).toBe(true);
    expect((await verify("bob", "alice", ["--confirm", a.payload])).verified).toBe(true);
    // Alice's own payload is not Bob's: pasting it back must not verify.
    const reflected = await run(["--profile", p("bob"), "verify", "alice", "--confirm", b.payload]);
    expect(reflected.code).not.toBe(0);
  });

  it("changes the number and drops verification when the contact links a device", async () => {
    const before = await verify("alice", "bob");
    expect(before.verified).toBe(true);
    await ok(["--profile", p("alice"), "send", "bob", "hello"]);
    await ok(["--profile", p("bob"), "sync"]);
    const code = (await ok(["--profile", p("bob"), "link-device"])).split("\n")[0]!.trim();
    await ok(["--profile", p("bob-laptop"), "link-device", "--server", server.url, "--code", code]);
    await ok(["--profile", p("bob"), "sync"]); // bob's device adds the laptop to the conversation
    const lines = (await ok(["--profile", p("alice"), "sync", "--json"])).split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const laptop = JSON.parse(await ok(["--profile", p("bob-laptop"), "verify", "alice", "--json"])) as VerifyLine;
    expect(laptop.number).toMatch(/^\d{60}$/);
    expect(lines).toContainEqual(expect.objectContaining({ kind: "device-change", name: "bob", change: "added", verifiedContactChanged: true }));
    const after = await verify("alice", "bob");
    expect(after.number).not.toBe(before.number);
    expect(after.verified).toBe(false);
    expect(after.changedSinceVerified).toBe(true);
    expect((await verify("bob-laptop", "alice")).number).toBe(after.number);
    expect(await sdkNumber("bob", "alice")).toBe(after.number);
  });

  it("holds messages in a verified-only conversation until the new devices are confirmed", async () => {
    const sent = await ok(["--profile", p("alice"), "send", "bob", "before verified-only"]);
    const conversation = / to (\S+)$/.exec(sent.trim())![1]!;
    await ok(["--profile", p("alice"), "verified-only", conversation, "on"]);
    // Bob's laptop (linked above) was never confirmed: the message is held, not sent.
    const held = await ok(["--profile", p("alice"), "send", "bob", "held for now"]);
    expect(held).toMatch(/^held .* new devices are not confirmed/);
    const texts = async (who: string) =>
      (await ok(["--profile", p(who), "sync", "--json"])).split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { text?: string }).text);
    expect(await texts("bob")).toEqual(["before verified-only"]);
    expect(await ok(["--profile", p("alice"), "confirm-devices", conversation])).toContain("sent 1 held message(s)");
    expect(await texts("bob")).toEqual(["held for now"]);
    expect((await verify("alice", "bob")).verified).toBe(true);
  });
});
