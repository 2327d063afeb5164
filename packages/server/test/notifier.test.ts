/**
 * The Notifier contract on both fan-outs: in-process (one node, so "node A" and "node B" are the same
 * object) and NATS (two notifiers on one PostgreSQL schema, as two server nodes have).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InProcessNotifier, type Notifier } from "../src/realtime/notifier.js";
import { NatsNotifier } from "../src/realtime/natsNotifier.js";
import { openSqliteStorage } from "../src/storage/sqlite.js";
import { openPostgresStorage } from "../src/storage/postgres/storage.js";
import type { Delivery, DeviceRef, Storage } from "../src/storage/types.js";
import { natsTestPrefix, testNatsUrl } from "./clusterServices.js";
import { pgTestSchema, requirePostgres, testDatabaseUrl } from "./pgTestSchema.js";

interface Cluster {
  storage: Storage;
  a: Notifier;
  b: Notifier;
  close(): Promise<void>;
}

const now = 1_700_000_000_000;
let n = 0;
const uid = (p: string) => `${p}${++n}`;

async function device(s: Storage): Promise<DeviceRef> {
  const ref = { accountId: uid("acct"), deviceId: uid("dev") };
  const challenge = uid("ch");
  await s.putChallenge(challenge, now + 60_000);
  await s.createAccount({
    challenge,
    now,
    ...ref,
    name: uid("n"),
    birthdate: "2000-01-01",
    signatureKey: crypto.getRandomValues(new Uint8Array(32)),
    session: { tokenHash: crypto.getRandomValues(new Uint8Array(32)), expiresAt: now + 60_000 },
  });
  return ref;
}

/** A two-member group; `send` appends an application message and returns its deliveries (to bob). */
async function pair(s: Storage) {
  const [alice, bob] = [await device(s), await device(s)];
  const groupId = crypto.getRandomValues(new Uint8Array(16));
  await s.createGroup(groupId, alice, now);
  const commit = { groupId, epoch: 0, sender: alice, senderLeaf: 0, removes: [], adds: [bob], commit: new Uint8Array([1]), welcome: new Uint8Array([2]) };
  await s.appendCommit({ ...commit, commitId: uid("c"), welcomeId: uid("w"), now });
  await s.ackQueue(bob.deviceId, (await s.listQueue(bob.deviceId, 10)).map((i) => i.id));
  const send = async (i: number): Promise<Delivery[]> => {
    const frank = { keyId: "k", serverFrank: `f${i}`, signature: "s", proof: { leafIndex: 0, treeSize: 1, inclusionPath: [] } };
    return s.appendApplication({ groupId, epoch: 1, sender: alice, message: new Uint8Array([i]), id: uid("m"), now, frank: () => frank });
  };
  return { alice, bob, send };
}

function describeNotifierContract(label: string, open: () => Promise<Cluster>): void {
  describe(`Notifier contract: ${label}`, () => {
    let cluster: Cluster | undefined;
    afterEach(async () => {
      await cluster?.close();
      cluster = undefined;
    });

    it("pushes an item appended on node A to the device's socket on node B, once and in order", async () => {
      cluster = await open();
      const { storage, a, b } = cluster;
      const { bob, send } = await pair(storage);
      const got: string[] = [];
      const unsubscribe = b.subscribe(bob.deviceId, (item) => got.push(item.id));
      const sent: string[] = [];
      for (let i = 0; i < 5; i++) {
        const deliveries = await send(i);
        sent.push(deliveries[0]!.item.id);
        a.publish(deliveries);
      }
      await vi.waitFor(() => expect(got).toHaveLength(5));
      await new Promise((r) => setTimeout(r, 200)); // late duplicates would arrive now
      expect(got).toEqual(sent);
      unsubscribe();
      a.publish(await send(9));
      await new Promise((r) => setTimeout(r, 200));
      expect(got).toHaveLength(5);
    });

    it("pushes once to a socket on the publishing node itself", async () => {
      cluster = await open();
      const { storage, a } = cluster;
      const { bob, send } = await pair(storage);
      const got: string[] = [];
      a.subscribe(bob.deviceId, (item) => got.push(item.id));
      const deliveries = await send(1);
      a.publish(deliveries);
      await new Promise((r) => setTimeout(r, 200));
      expect(got).toEqual([deliveries[0]!.item.id]);
    });

    it("broadcasts a signal to every node, the sender's included, once each", async () => {
      cluster = await open();
      const { a, b } = cluster;
      const onA: string[] = [];
      const onB: string[] = [];
      a.onSignal("account-revoked", (id) => onA.push(id));
      const off = b.onSignal("account-revoked", (id) => onB.push(id));
      b.onSignal("hash-lists", (id) => onB.push(`lists:${id}`));
      a.broadcast("account-revoked", "acct-1");
      await vi.waitFor(() => expect(onB).toContain("acct-1"));
      await new Promise((r) => setTimeout(r, 200));
      expect(onA.filter((id) => id === "acct-1")).toHaveLength(1);
      expect(onB).toEqual(["acct-1"]); // and not the other topic's listener
      off();
    });
  });
}

describeNotifierContract("in-process", async () => {
  const storage = openSqliteStorage(mkdtempSync(join(tmpdir(), "safelight-notifier-")));
  const notifier = new InProcessNotifier();
  return { storage, a: notifier, b: notifier, close: async () => { await notifier.close(); await storage.close(); } };
});

describeNotifierContract("nats", async () => {
  await requirePostgres();
  const schema = pgTestSchema();
  const prefix = natsTestPrefix();
  const storage = await openPostgresStorage(testDatabaseUrl, { schema });
  const peer = await openPostgresStorage(testDatabaseUrl, { schema });
  const a = await NatsNotifier.open(storage, { url: testNatsUrl, prefix });
  const b = await NatsNotifier.open(peer, { url: testNatsUrl, prefix });
  return {
    storage,
    a,
    b,
    close: async () => {
      await Promise.all([a.close(), b.close()]);
      await Promise.all([storage.close(), peer.close()]);
    },
  };
});
