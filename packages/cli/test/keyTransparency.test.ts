/**
 * Key transparency through the real CLI and a real server process (docs/key-transparency.md): `sync`
 * raises the alarm for a ghost device, `audit` replays the log and refuses a rewritten, removed or
 * forked history, and `checkpoint --compare` catches a split view between two clients.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueGhostLinkCode, queryTestStore } from "@safelight/server/testing";
import { cleanup, ok, run, ServerProcess, tempDir } from "./harness.js";

let profiles: string;
let data: string;
let server: ServerProcess;
const p = (name: string) => join(profiles, name);
let n = 0;

async function register(): Promise<string> {
  const name = `kt${++n}x${Date.now() % 100000}`;
  await ok(["--profile", p(name), "register", "--server", server.url, "--name", name, "--birthdate", "1990-01-01"]);
  return name;
}

async function whoami(profile: string): Promise<{ accountId: string; deviceId: string }> {
  const m = /\(account (\S+), device (\S+)\)/.exec(await ok(["--profile", p(profile), "whoami"]));
  return { accountId: m![1]!, deviceId: m![2]! };
}

async function audit(...extra: string[]): Promise<{ checkpoint: string; entries: number }> {
  return JSON.parse(await ok(["audit", "--server", server.url, "--json", ...extra])) as { checkpoint: string; entries: number };
}

async function expectAuditFails(from: string, message: RegExp): Promise<void> {
  const r = await run(["audit", "--server", server.url, "--from", from]);
  expect(r.code, r.stdout).not.toBe(0);
  expect(r.stderr).toMatch(message);
}

beforeAll(async () => {
  profiles = tempDir("kt-profiles");
  data = tempDir("kt-server");
  server = new ServerProcess(data);
  await server.start();
});

afterAll(async () => {
  await server.kill();
  cleanup(profiles, data);
});

describe("safelight sync", () => {
  it("prints the alarm for a device the server added to the account, once", async () => {
    const bob = await register();
    await ok(["--profile", p(bob), "sync"]);
    // The server enrols a device of its own with a code none of bob's devices issued.
    const code = await issueGhostLinkCode(data, await whoami(bob));
    await ok(["--profile", p("ghost"), "link-device", "--server", server.url, "--code", code]);
    const ghost = await whoami("ghost");
    const lines = (await ok(["--profile", p(bob), "sync", "--json"])).split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ kind: "key-transparency-alarm", deviceId: ghost.deviceId }));
    expect(await ok(["--profile", p(bob), "sync"])).not.toMatch(/ALARM/);
  });

  it("prints nothing for a device linked from this device", async () => {
    const carol = await register();
    const code = (await ok(["--profile", p(carol), "link-device"])).split("\n")[0]!;
    await ok(["--profile", p(`${carol}-laptop`), "link-device", "--server", server.url, "--code", code]);
    expect(await ok(["--profile", p(carol), "sync"])).not.toMatch(/ALARM/);
  });
});

describe("safelight audit", () => {
  it("replays the log and prints the current head as a checkpoint", async () => {
    await register();
    const { checkpoint, entries } = await audit();
    expect(checkpoint).toMatch(new RegExp(`^${entries}:[A-Za-z0-9_-]{43}$`));
    expect((await audit("--from", checkpoint)).checkpoint).toBe(checkpoint);
    const human = await ok(["audit", "--server", server.url, "--from", checkpoint]);
    expect(human).toMatch(/^log ok: .*consistent with/m);
  });

  it("refuses a rewritten entry (served entries that do not hash to the signed head)", async () => {
    await audit(); // the server has read the log as it is
    await queryTestStore(data, "UPDATE kt_log SET time = time + 1 WHERE seq = 0");
    try {
      const r = await run(["audit", "--server", server.url]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/do not hash to the signed head/);
    } finally {
      await queryTestStore(data, "UPDATE kt_log SET time = time - 1 WHERE seq = 0");
    }
    await audit();
  });

  it("refuses a removed entry against an earlier checkpoint", async () => {
    const before = await audit();
    await queryTestStore(data, "DELETE FROM kt_log WHERE seq = ?", [before.entries - 1]);
    await server.kill();
    await server.start();
    await expectAuditFails(before.checkpoint, /does not extend|do not hash to the checkpoint/);
  });

  it("refuses a forked history against an earlier checkpoint", async () => {
    const before = await audit();
    await queryTestStore(data, "UPDATE kt_log SET time = time + 1 WHERE seq = 1");
    await server.kill();
    await server.start();
    await expectAuditFails(before.checkpoint, /do not hash to the checkpoint/);
  });
});

describe("gossip", () => {
  it("two clients comparing checkpoints catch a split view; the auditor does too", async () => {
    const dave = await register();
    await ok(["--profile", p(dave), "sync"]);
    const daveView = (await ok(["--profile", p(dave), "checkpoint"])).trim();
    // The server forks the log for everyone who comes later; dave is not asked again.
    await queryTestStore(data, "UPDATE kt_log SET time = time + 1 WHERE seq = 2");
    await server.kill();
    await server.start();
    const erin = await register();
    await ok(["--profile", p(erin), "sync"]);
    const erinView = (await ok(["--profile", p(erin), "checkpoint"])).trim();
    const r = await run(["--profile", p(erin), "checkpoint", "--compare", daveView]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/does not extend/);
    expect((await ok(["--profile", p(erin), "checkpoint", "--compare", erinView])).trim()).toBe(`consistent with ${erinView}`);
    await expectAuditFails(daveView, /do not hash to the checkpoint/);
  });
});
