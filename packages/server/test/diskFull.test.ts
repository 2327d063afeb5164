/**
 * Disk full (docs/reliability.md): the server's data directory (SQLite database and blob directory) on
 * an 8 MiB tmpfs, filled up mid-run. New writes are refused with 507 SL_ERR_STORAGE_FULL, reads go on,
 * nothing acknowledged is lost, and writes succeed again once space returns. Needs root for the mount
 * (skipped otherwise, with the reason printed); SQLite only: PostgreSQL's disk is not the server's.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { testBackend } from "../src/testing.js";
import { addProposal, appMessage, b64, call, commit, keyPackage, newGroup, register, startTestServer, type TestServer } from "./helpers.js";

const root = process.getuid?.() === 0;
const runs = root && testBackend === "sqlite";
if (!runs) console.log(`diskFull: skipped (${root ? "SQLite only" : "mounting a tmpfs needs root"})`);

const mount = mkdtempSync(join(tmpdir(), "safelight-full-"));
let server: TestServer | undefined;
beforeAll(() => {
  if (runs) execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mount]);
});
afterAll(async () => {
  await server?.stop();
  if (runs) execFileSync("umount", [mount]);
  rmSync(mount, { recursive: true, force: true });
});

/** Writes zeros into `path` until the file system says ENOSPC. */
function fillUp(path: string): void {
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
}

it.runIf(runs)("refuses writes with SL_ERR_STORAGE_FULL when the disk fills, keeps serving reads, and recovers", async () => {
  server = await startTestServer({}, join(mount, "data"));
  const url = server.url;
  const [alice, bob] = [await register(url), await register(url)];
  const g = await newGroup(url, alice);
  const kp = await keyPackage(bob, bob.keys);
  const c = await commit(g.state, [addProposal(kp.publicPackage)]);
  const path = `/v1/groups/${b64(g.groupId)}`;
  expect((await call(url, "POST", `${path}/commits`, { token: alice.token, json: { commit: c.commit, welcome: c.welcome } })).status).toBe(200);
  let state = c.newState;
  const send = async (text: string) => {
    const m = await appMessage(state, text);
    state = m.newState;
    return call(url, "POST", `${path}/messages`, { token: alice.token, json: { message: m.message } });
  };
  const upload = (bytes: number) =>
    fetch(`${url}/v1/blobs`, { method: "POST", headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/octet-stream" }, body: new Uint8Array(bytes).fill(7) }).then(
      async (r) => ({ status: r.status, body: await r.json() }),
    );
  const acked: string[] = [];
  for (let i = 0; i < 5; i++) acked.push((await send(`before ${i}`)).body.id);
  const blob = await upload(100_000);
  expect(blob.status).toBe(201);

  fillUp(join(mount, "filler"));
  const refusedMessage = await send("while full");
  expect([refusedMessage.status, refusedMessage.body.error.code]).toEqual([507, "SL_ERR_STORAGE_FULL"]);
  const refusedBlob = await upload(200_000);
  expect([refusedBlob.status, refusedBlob.body.error.code]).toEqual([507, "SL_ERR_STORAGE_FULL"]);
  // Reads go on: the queue with everything acknowledged, and the blob stored before.
  const queue = await call(url, "GET", "/v1/queue?limit=100", { token: bob.token });
  expect(queue.status).toBe(200);
  expect(queue.body.items.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining(acked));
  const download = await fetch(`${url}/v1/blobs/${blob.body.blobId}`, { headers: { authorization: `Bearer ${alice.token}` } });
  expect([download.status, (await download.arrayBuffer()).byteLength]).toEqual([200, 100_000]);

  rmSync(join(mount, "filler"));
  const after = await send("after");
  expect(after.status).toBe(200);
  expect((await upload(200_000)).status).toBe(201);
  const again = await call(url, "GET", "/v1/queue?limit=100", { token: bob.token });
  expect(again.body.items.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining([...acked, after.body.id]));
});
