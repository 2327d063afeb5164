/**
 * Two server nodes on one PostgreSQL schema, signals over NATS (docs/deploy.md): clients on different
 * nodes talk 1:1 and in a group with live WebSocket pushes crossing nodes, and a ban decided on node A
 * ends the banned account's socket on node B. Runs on PostgreSQL whatever the run's backend.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocketImpl from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setAccountRole, startServer, type RunningServer } from "@safelight/server";
import { clusterOptions } from "@safelight/server/testing";
import { SafelightClient } from "@safelight/client";
import { connectLive, type LiveConnection, type PushedItem } from "@safelight/client/browser";
import { SqliteClientStore } from "@safelight/client/node";
import { nodeCryptoProvider } from "@safelight/protocol/node";

let dir: string;
let nodeA: RunningServer;
let nodeB: RunningServer;
const stores = new Map<string, SqliteClientStore>();
const lives: LiveConnection[] = [];

async function newClient(name: string, node: RunningServer): Promise<SafelightClient> {
  const store = new SqliteClientStore(join(dir, `${name}.db`));
  stores.set(name, store);
  const client = new SafelightClient({ store, provider: nodeCryptoProvider, warn: (m) => console.warn(`${name}: ${m}`) });
  await client.register(node.url, name, "1990-05-05");
  return client;
}

async function token(name: string): Promise<string> {
  return (await stores.get(name)!.getProfile())!.token;
}

/** Live pushes for `name` from `node`, collected; `next(kind)` waits for the next push of that kind. */
function listen(name: string, node: RunningServer) {
  const pushed: PushedItem[] = [];
  const waiters: { kind: string; resolve: (item: PushedItem) => void }[] = [];
  const online = new Promise<void>((resolve) => {
    lives.push(
      connectLive({
        serverUrl: node.url,
        token: () => token(name),
        WebSocket: WebSocketImpl as unknown as typeof WebSocket,
        onPush: (item) => {
          if (item === undefined) return resolve();
          pushed.push(item);
          const i = waiters.findIndex((w) => w.kind === item.kind);
          if (i >= 0) waiters.splice(i, 1)[0]!.resolve(item);
        },
      }),
    );
  });
  return {
    online,
    next: (kind: string) => new Promise<PushedItem>((resolve) => waiters.push({ kind, resolve })),
  };
}

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms))]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "safelight-two-nodes-"));
  const shared = clusterOptions(join(dir, "cluster"));
  const start = (node: string) =>
    startServer({ dataDir: join(dir, node), host: "127.0.0.1", port: 0, handleSignals: false, logger: false, ...shared });
  [nodeA, nodeB] = await Promise.all([start("a"), start("b")]);
});

afterAll(async () => {
  for (const live of lives) live.close();
  await Promise.all([nodeA?.close(), nodeB?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe("two nodes on one PostgreSQL", () => {
  it("alice on node A and bob on node B talk 1:1 and in a group, pushed live across nodes", async () => {
    const alice = await newClient("alice", nodeA);
    const bob = await newClient("bob", nodeB);
    const carol = await newClient("carol", nodeB);
    const bobLive = listen("bob", nodeB);
    const aliceLive = listen("alice", nodeA);
    await within(10_000, "live connections", Promise.all([bobLive.online, aliceLive.online]));

    const toBob = bobLive.next("application");
    const sent = await alice.sendText("bob", "hello from node A");
    expect((await within(10_000, "push to bob on node B", toBob)).id).toBeTruthy();
    expect((await bob.sync()).map((m) => [m.text, m.id])).toEqual([["hello from node A", sent.id]]);

    const toAlice = aliceLive.next("application");
    const reply = await bob.sendText("alice", "hello from node B");
    await within(10_000, "push to alice on node A", toAlice);
    expect((await alice.sync()).map((m) => [m.text, m.id])).toEqual([["hello from node B", reply.id]]);

    const welcome = bobLive.next("welcome");
    const groupId = await alice.createGroup("across", ["bob", "carol"]);
    await within(10_000, "group welcome pushed to bob", welcome);
    await Promise.all([bob.sync(), carol.sync()]);
    const inGroup = bobLive.next("application");
    const hi = await carol.sendToGroup(groupId, "group hello from node B");
    await within(10_000, "group message pushed to bob", inGroup);
    expect((await bob.sync()).map((m) => m.id)).toEqual([hi.id]);
    expect((await alice.sync()).map((m) => [m.text, m.id])).toEqual([["group hello from node B", hi.id]]);
    await Promise.all([alice.close(), bob.close(), carol.close()]);
  });

  it("a ban decided on node A ends the banned account's socket on node B", async () => {
    const mallory = await newClient("mallory", nodeB);
    const dave = await newClient("dave", nodeA);
    const mod = await newClient("moderator", nodeA);
    expect(await setAccountRole(shared(), "moderator", "moderator")).toBe(true);

    const socket = new WebSocketImpl(`${nodeB.url.replace("http", "ws")}/v1/ws`, { headers: { authorization: `Bearer ${await token("mallory")}` } });
    await within(10_000, "mallory's socket", new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject)));
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));

    await mallory.sendText("dave", "abuse");
    const [abuse] = await dave.sync();
    const { reportId } = await dave.report(abuse!.id, "harassment");
    await mod.moderation.decide(reportId, "ban", "two-node test");
    const code = await within(10_000, "socket closed on node B", closed);
    expect(code).toBe(1008);

    // The ban is in the database: node B refuses the account's token too.
    const res = await fetch(new URL("/v1/queue", nodeB.url), { headers: { authorization: `Bearer ${await token("mallory")}` } });
    expect(res.status).toBe(401);
    await Promise.all([mallory.close(), dave.close(), mod.close()]);
  });
});

function shared() {
  return { dataDir: join(dir, "a"), ...clusterOptions(join(dir, "cluster")) };
}
