/**
 * Concurrent commits through the SDK against the real server (in-process, real HTTP on loopback):
 * the server accepts one commit per epoch, losers re-plan, and every member ends in the same state.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "@safelight/server";
import { backendOptions } from "@safelight/server/testing";
import { SafelightClient } from "@safelight/client";
import { SqliteClientStore } from "@safelight/client/node";
import { nodeCryptoProvider } from "@safelight/protocol/node";

let dir: string;
let server: { url: string; close(): Promise<void> };

async function newClient(name: string): Promise<SafelightClient> {
  const client = new SafelightClient({
    store: new SqliteClientStore(join(dir, `${name}.db`)),
    provider: nodeCryptoProvider,
    warn: (m) => {
      throw new Error(`unexpected dropped item: ${m}`);
    },
  });
  await client.register(server.url, name, "1990-05-05");
  return client;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "safelight-concurrency-"));
  server = await startServer({ dataDir: join(dir, "server"), host: "127.0.0.1", port: 0, handleSignals: false, logger: false, ...backendOptions(join(dir, "server")) });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("concurrent commits", () => {
  it("20 members commit at once: one per epoch wins, all converge and keep talking", async () => {
    const names = Array.from({ length: 20 }, (_, i) => `member${i}`);
    const clients = await Promise.all(names.map(newClient));
    const [owner, ...rest] = clients;
    const groupId = await owner!.createGroup("stress", names.slice(1));
    await Promise.all(rest.map((c) => c.sync()));

    const before = (await fetchGroup(owner!, groupId)).epoch;
    // Every member tries to commit against the same epoch at the same moment.
    await Promise.all(clients.map((c) => c.updateKeys(groupId)));
    const after = await fetchGroup(owner!, groupId);
    expect(after.epoch).toBe(before + 20);
    expect(after.members).toHaveLength(20);

    await Promise.all(clients.map((c) => c.sync()));
    await owner!.sendToGroup(groupId, "still consistent?");
    const got = await Promise.all(rest.map((c) => c.sync()));
    for (const messages of got) expect(messages.map((m) => m.text)).toEqual(["still consistent?"]);
    const reply = await rest[7]!.sendToGroup(groupId, "yes");
    expect((await owner!.sync()).map((m) => [m.text, m.id])).toEqual([["yes", reply.id]]);
    await Promise.all(clients.map((c) => c.close()));
  });
});

async function fetchGroup(client: SafelightClient, groupId: string) {
  return client.serverView(groupId);
}
