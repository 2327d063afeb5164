/**
 * Removing a lost device through the real CLI and a real server process (docs/protocol.md, "Devices"):
 * alice removes her phone from her other device, bob sees "alice removed a device" and keeps talking with
 * alice, the phone's next sync fails with the documented error, and the key-transparency audit counts
 * the revoke.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryTestStore } from "@safelight/server/testing";
import { cleanup, ok, run, ServerProcess, syncJson, syncLines, tempDir } from "./harness.js";

let profiles: string;
let data: string;
let server: ServerProcess;
const p = (name: string) => join(profiles, name);
const stamp = Date.now() % 100000;
const alice = `alice${stamp}`;
const bob = `bob${stamp}`;

interface ListedDevice {
  deviceId: string;
  fingerprint: string;
  linkedAt: number;
  current: boolean;
}

async function devices(profile: string): Promise<ListedDevice[]> {
  return (await ok(["--profile", p(profile), "devices", "--json"])).split("\n").filter(Boolean).map((l) => JSON.parse(l) as ListedDevice);
}

beforeAll(async () => {
  profiles = tempDir("devices-profiles");
  data = tempDir("devices-server");
  server = new ServerProcess(data);
  await server.start();
  for (const name of [alice, bob]) await ok(["--profile", p(name), "register", "--server", server.url, "--name", name, "--birthdate", "1990-01-01"]);
  const code = (await ok(["--profile", p(alice), "link-device"])).split("\n")[0]!;
  await ok(["--profile", p("phone"), "link-device", "--server", server.url, "--code", code]);
});

afterAll(async () => {
  await server.kill();
  cleanup(profiles, data);
});

describe("safelight devices", () => {
  it("lists the account's devices and removes a lost one; bob and alice's remaining device keep talking", async () => {
    await ok(["--profile", p(alice), "send", bob, "hello bob"]);
    expect((await syncJson(p(bob))).map((m) => m.text)).toContain("hello bob");
    expect((await syncJson(p("phone"))).map((m) => m.text)).toContain("hello bob");

    const listed = await devices(alice);
    expect(listed).toHaveLength(2);
    const phone = listed.find((d) => !d.current)!;
    expect(phone.fingerprint).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){3}$/);
    const human = await ok(["--profile", p(alice), "devices"]);
    expect(human).toMatch(new RegExp(`^${phone.deviceId}  ${phone.fingerprint}  linked \\S+$`, "m"));
    expect(human).toMatch(/\(this device\)$/m);

    expect(await ok(["--profile", p(alice), "devices", "remove", phone.deviceId])).toMatch(/removed device .* \(taken out of 1 conversation\)/);
    expect((await devices(alice)).map((d) => d.deviceId)).not.toContain(phone.deviceId);

    // Bob's timeline says so, from the MLS commit itself.
    const lines = await syncLines(p(bob));
    expect(lines).toContainEqual(expect.objectContaining({ kind: "device-change", name: alice, deviceId: phone.deviceId, change: "removed" }));
    expect(await queryTestStore(data, "SELECT 1 FROM group_members WHERE device_id = ?", [phone.deviceId])).toEqual([]);

    await ok(["--profile", p(bob), "send", alice, "after the phone was lost"]);
    // The phone gets nothing more: its session is gone and it cannot log in again.
    const lost = await run(["--profile", p("phone"), "sync"]);
    expect(lost.code).not.toBe(0);
    expect(lost.stderr).toMatch(/this device was removed from its account/);
    expect((await syncJson(p(alice))).map((m) => m.text)).toContain("after the phone was lost");
    await ok(["--profile", p(alice), "send", bob, "still here"]);
    expect((await syncJson(p(bob))).map((m) => m.text)).toContain("still here");

    const audit = JSON.parse(await ok(["audit", "--server", server.url, "--json"])) as { revokes: number; adds: number };
    expect(audit).toMatchObject({ revokes: 1, adds: 3 });
  });

  it("refuses an unknown device, another account's device and the device itself", async () => {
    const [own] = (await devices(alice)).filter((d) => d.current);
    const [bobs] = await devices(bob);
    for (const [profile, id, message] of [
      [alice, "nosuchdevice", /no device nosuchdevice on this account/],
      [bob, own!.deviceId, /no device .* on this account/],
      [alice, own!.deviceId, /a device cannot remove itself/],
    ] as const) {
      const r = await run(["--profile", p(profile), "devices", "remove", id]);
      expect(r.code, r.stdout).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
    expect((await devices(bob)).map((d) => d.deviceId)).toEqual([bobs!.deviceId]);
  });
});
