/** Kills a real server process with SIGKILL mid-traffic; nothing it acknowledged may be lost. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { backendOptions } from "../src/testing.js";
import { addProposal, appMessage, b64, call, commit, keyPackage, newGroup, register } from "./helpers.js";

const entry = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "safelight-crash-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function spawnServer(): Promise<{ child: ChildProcess; url: string }> {
  const script = `import(${JSON.stringify(entry)}).then(m => m.startServer({ dataDir: ${JSON.stringify(dataDir)}, port: 0, logger: false, ...${JSON.stringify(backendOptions(dataDir))} }))
    .then(s => console.log("listening on " + s.url))`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.once("exit", (code) => reject(new Error(`server exited early with ${code}`)));
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

describe("crash safety", () => {
  it("keeps every acknowledged commit and message across SIGKILL, and shuts down cleanly on SIGTERM", async () => {
    let server = await spawnServer();
    const [alice, bob] = await Promise.all([register(server.url), register(server.url)]);
    const g = await newGroup(server.url, alice!);
    const kp = await keyPackage(bob!, bob!.keys);
    const c = await commit(g.state, [addProposal(kp.publicPackage)]);
    const path = `/v1/groups/${b64(g.groupId)}`;
    expect((await call(server.url, "POST", `${path}/commits`, { token: alice!.token, json: { commit: c.commit, welcome: c.welcome } })).status).toBe(200);

    let state = c.newState;
    const messages: string[] = [];
    for (let i = 0; i < 60; i++) {
      const m = await appMessage(state, `n${i}`);
      state = m.newState;
      messages.push(m.message);
    }
    // Fire all at once and kill the server while they are in flight.
    const acknowledged: string[] = [];
    const inflight = messages.map((message) =>
      call(server.url, "POST", `${path}/messages`, { token: alice!.token, json: { message } })
        .then((r) => {
          if (r.status === 200) acknowledged.push(r.body.id);
        })
        .catch(() => undefined),
    );
    // Kill once some are acknowledged and (most likely) others are still in flight.
    await expect.poll(() => acknowledged.length, { timeout: 20_000, interval: 1 }).toBeGreaterThanOrEqual(10);
    const killed = exited(server.child);
    server.child.kill("SIGKILL");
    await killed;
    await Promise.all(inflight);

    server = await spawnServer();
    try {
      const q = await call(server.url, "GET", "/v1/queue?limit=500", { token: bob!.token });
      expect(q.status).toBe(200);
      const ids = new Set(q.body.items.map((i: { id: string }) => i.id));
      for (const id of acknowledged) expect(ids.has(id), `acknowledged ${id} lost`).toBe(true);
      expect(q.body.items[0].kind).toBe("welcome");
      const group = await call(server.url, "GET", path, { token: alice!.token });
      expect(group.body.epoch).toBe(1);
      expect(group.body.members).toHaveLength(2);
    } finally {
      const done = exited(server.child);
      server.child.kill("SIGTERM");
      expect(await done).toBe(0);
    }
  });
});
