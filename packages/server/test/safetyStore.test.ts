/**
 * The SafetyStore contract (storage/safety.ts) on both backends, written against the interface only.
 * Each test gets a fresh store (on PostgreSQL its own schema) and, for the two-node cases, a second
 * Storage on the same data, as a second server node has: the rules hold because the database enforces
 * them, not because one process saw every write.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InProcessNotifier } from "../src/realtime/notifier.js";
import { resolvePolicy } from "../src/safety/policy.js";
import { SafetyService } from "../src/safety/service.js";
import { openPostgresStorage } from "../src/storage/postgres/storage.js";
import type { NewAction } from "../src/storage/safety.js";
import { openSqliteStorage } from "../src/storage/sqlite.js";
import type { DeviceRef, Storage } from "../src/storage/types.js";
import { pgTestSchema, requirePostgres, testDatabaseUrl } from "./pgTestSchema.js";

const HOUR = 3600_000;
const now = Date.UTC(2026, 5, 1, 12);
let n = 0;
const uid = (p: string) => `${p}${++n}`;
const ADULT = "1990-03-04";
const TEEN = `${new Date(now).getUTCFullYear() - 15}-03-04`;

interface Backend {
  label: string;
  /** A fresh, empty Storage and a second one on the same data (another node). */
  open(): Promise<[Storage, Storage]>;
}

const backends: Backend[] = [
  {
    label: "sqlite",
    async open() {
      const dir = mkdtempSync(join(tmpdir(), "safelight-safety-store-"));
      return [openSqliteStorage(dir), openSqliteStorage(dir)];
    },
  },
  {
    label: "postgres",
    async open() {
      await requirePostgres();
      const schema = pgTestSchema();
      const s = await openPostgresStorage(testDatabaseUrl, { schema });
      return [s, await openPostgresStorage(testDatabaseUrl, { schema })];
    },
  },
];

/** An account with `devices` devices, made through the Storage interface. */
async function account(s: Storage, birthdate = ADULT, devices = 1): Promise<DeviceRef[]> {
  const accountId = uid("acct");
  const refs: DeviceRef[] = [];
  for (let i = 0; i < devices; i++) {
    const deviceId = uid("dev");
    const challenge = uid("ch");
    await s.putChallenge(challenge, now + 60_000);
    const session = { tokenHash: crypto.getRandomValues(new Uint8Array(32)), expiresAt: now + 60_000 };
    const signatureKey = crypto.getRandomValues(new Uint8Array(32));
    if (i === 0) await s.createAccount({ challenge, now, accountId, name: uid("n"), birthdate, deviceId, signatureKey, session });
    else {
      const codeHash = crypto.getRandomValues(new Uint8Array(32));
      await s.createLinkCode(codeHash, refs[0]!, now + 60_000);
      await s.linkDevice({ challenge, codeHash, now, deviceId, signatureKey, session, eventId: uid("ev") });
    }
    refs.push({ accountId, deviceId });
  }
  return refs;
}

const id = async (s: Storage, birthdate = ADULT) => (await account(s, birthdate))[0]!.accountId;

const actions = (accountId: string, rule: string, kinds: string[]): NewAction[] =>
  kinds.map((action) => ({ actionId: uid("act"), accountId, action, rule, detail: "{}", createdAt: now, createdBy: "auto" }));

/** An application message from `from` queued for `to` (a two-member group). */
async function message(s: Storage, from: DeviceRef, to: DeviceRef): Promise<string> {
  const groupId = crypto.getRandomValues(new Uint8Array(16));
  await s.createGroup(groupId, from, now);
  const welcome = new Uint8Array([2]);
  await s.appendCommit({ groupId, epoch: 0, sender: from, senderLeaf: 0, removes: [], adds: [to], commit: new Uint8Array([1]), welcome, commitId: uid("c"), welcomeId: uid("w"), now });
  const frank = () => ({ keyId: "k", serverFrank: "f", signature: "s", proof: { leafIndex: 0, treeSize: 1, inclusionPath: [] } });
  const mid = uid("app");
  await s.appendApplication({ groupId, epoch: 1, sender: from, message: new Uint8Array([9]), id: mid, now, frank });
  return mid;
}

for (const backend of backends) {
  describe(`SafetyStore contract: ${backend.label}`, () => {
    it("requests: pending, renewed without a new time, accepted into contacts, declined once", async () => {
      const [s, peer] = await backend.open();
      const st = s.safety;
      const [a, b, c] = [await id(s), await id(s), await id(s)];
      expect(await st.account(a)).toMatchObject({ accountId: a, birthdate: ADULT, createdAt: now, role: "user" });
      expect(await st.account("nobody")).toBeUndefined();
      await st.putPendingRequest(a, b, now);
      await st.putPendingRequest(a, b, now + 5);
      expect(await st.request(a, b)).toEqual({ requesterId: a, recipientId: b, status: "pending", createdAt: now, updatedAt: now });
      expect(await st.outgoingRequests(a, "pending")).toHaveLength(1);
      await st.putPendingRequest(c, b, now + 1);
      expect((await st.incomingRequests(b, "pending")).map((r) => r.requesterId)).toEqual([a, c]);
      expect(await st.areContacts(a, b)).toBe(false);
      await st.accept(b, a, now + 2);
      expect(await st.areContacts(b, a)).toBe(true);
      expect(await st.contactsOf(b)).toEqual([{ accountId: a, since: now + 2 }]);
      expect(await st.contactsOf(a)).toEqual([{ accountId: b, since: now + 2 }]);
      // Decline: the request's queued messages go, and two declines (here from two nodes) count once.
      expect(await st.decline(b, await id(s), now)).toBe(false); // there was no request
      const results = await Promise.all([st.decline(b, c, now + 3), peer.safety.decline(b, c, now + 3)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await st.request(c, b))?.status).toBe("declined");
      expect(await st.countEvents(c, ["request-declined"], 0, false)).toBe(1);
      expect(await st.refusersOf(c)).toEqual(new Set([b]));
      await Promise.all([s.close(), peer.close()]);
    });

    it("blocks: refusal counted once for a pending request, queued messages dropped, hidden from incoming", async () => {
      const [s, peer] = await backend.open();
      const st = s.safety;
      const [a] = await account(s);
      const [b] = await account(s);
      const mid = await message(s, a!, b!);
      await st.putPendingRequest(a!.accountId, b!.accountId, now);
      const refused = await Promise.all([st.block(b!.accountId, a!.accountId, now), peer.safety.block(b!.accountId, a!.accountId, now)]);
      expect(refused.filter(Boolean)).toHaveLength(1);
      expect(await st.countEvents(a!.accountId, ["request-blocked"], 0, false)).toBe(1);
      expect((await s.listQueue(b!.deviceId, 10)).map((i) => i.id)).not.toContain(mid);
      expect(await st.isBlocked(b!.accountId, a!.accountId)).toBe(true);
      expect(await st.isBlocked(a!.accountId, b!.accountId)).toBe(false);
      expect(await st.refusersOf(a!.accountId)).toEqual(new Set([b!.accountId]));
      expect(await st.blocksOf(b!.accountId)).toEqual([{ accountId: a!.accountId, since: now }]);
      expect(await st.incomingRequests(b!.accountId, "pending")).toEqual([]);
      expect(await st.unblock(b!.accountId, a!.accountId)).toBe(true);
      expect(await st.unblock(b!.accountId, a!.accountId)).toBe(false);
      expect(await st.refusersOf(a!.accountId)).toEqual(new Set());
      await Promise.all([s.close(), peer.close()]);
    });

    it("request groups: pending and declined recipients, bound once, bytes kept", async () => {
      const [s, peer] = await backend.open();
      const st = s.safety;
      const [a, b, c] = [await id(s), await id(s), await id(s)];
      const g = new Uint8Array(16).fill(0xfe);
      await st.putPendingRequest(a, b, now);
      await st.putPendingRequest(a, c, now);
      await Promise.all([st.bindGroup(a, b, g), peer.safety.bindGroup(a, b, g), st.bindGroup(a, c, g)]);
      expect(await st.pendingGroupsOf(b)).toEqual([g]);
      expect(await st.pendingRequestVia(g, b)).toBe(a);
      await st.decline(c, a, now);
      const state = await st.groupRequestState(g);
      expect([...state.pending]).toEqual([b]);
      expect([...state.declined]).toEqual([c]);
      await st.accept(b, a, now);
      expect(await st.pendingGroupsOf(b)).toEqual([]);
      expect(await st.pendingRequestVia(g, b)).toBeUndefined();
      await Promise.all([s.close(), peer.close()]);
    });

    it("events: windows, distinct counts, reports, retention, inbound settings", async () => {
      const [s, peer] = await backend.open();
      const st = s.safety;
      const [a, t1, t2] = [await id(s), await id(s, TEEN), await id(s, TEEN)];
      expect(await st.recordRequest(a, t1, true, now - 2 * HOUR)).toBe(true);
      expect(await st.recordRequest(a, t1, true, now)).toBe(true);
      expect(await st.recordRequest(a, t2, false, now)).toBe(true);
      expect(await st.countEvents(a, ["request"], 0, false)).toBe(3);
      expect(await st.countEvents(a, ["request"], 0, true)).toBe(2);
      expect(await st.countEvents(a, ["request-teen"], now - HOUR, true)).toBe(1);
      expect(await st.countEvents(a, ["request", "request-teen"], now - HOUR, false)).toBe(3);
      expect(await st.pruneEvents(now - HOUR)).toBe(2);
      expect(await st.countEvents(a, ["request", "request-teen"], 0, false)).toBe(3);
      await st.putPendingRequest(a, t1, now);
      expect(await st.requestedSince(a, now - 1)).toEqual([t1]);
      expect(await st.requestedSince(a, now)).toEqual([]);
      const report = { reporterAccountId: t1, reportedAccountId: a, groupId: new Uint8Array(16), reason: "grooming" as const, note: "", status: "open" as const, messages: [] };
      await s.moderation.insertReport({ ...report, reportId: uid("r"), reportedMessageId: uid("m"), createdAt: now - HOUR });
      await s.moderation.insertReport({ ...report, reportId: uid("r"), reportedMessageId: uid("m"), createdAt: now });
      expect(await st.countReports(a, now - 2 * HOUR)).toBe(2);
      expect(await st.countReports(a, now - HOUR)).toBe(1);
      expect(await st.inbound(t1)).toBeUndefined();
      await st.setInbound(t1, "teens", now);
      await peer.safety.setInbound(t1, "contacts", now + 1);
      expect(await st.inbound(t1)).toBe("contacts");
      await Promise.all([s.close(), peer.close()]);
    });

    it("actions: a rule fires once until lifted, listed newest first, its window restarts at the lift", async () => {
      const [s, peer] = await backend.open();
      const st = s.safety;
      const [a, b] = [await id(s), await id(s)];
      expect(await st.fireRule(a, "teens", actions(a, "teens", ["restrict-teen-contact", "review"]))).toBe(true);
      expect(await st.fireRule(a, "teens", actions(a, "teens", ["restrict-teen-contact", "review"]))).toBe(false);
      expect(await st.fireRule(b, "teens", actions(b, "teens", ["review"]))).toBe(true);
      expect((await st.activeActions(a)).map((x) => x.action).sort()).toEqual(["restrict-teen-contact", "review"]);
      expect(await st.listActions(undefined, true, 10)).toHaveLength(3);
      expect(await st.listActions(a, true, 1)).toHaveLength(1);
      expect(await st.lastLift(a, "teens")).toBeUndefined();
      expect(await peer.safety.liftActions(a, "mod", now + HOUR)).toBe(2);
      expect(await st.activeActions(a)).toEqual([]);
      expect(await st.lastLift(a, "teens")).toBe(now + HOUR);
      const all = await st.listActions(a, false, 10);
      expect(all.every((x) => x.liftedAt === now + HOUR && x.liftedBy === "mod" && x.createdAt === now)).toBe(true);
      expect(await st.fireRule(a, "teens", actions(a, "teens", ["review"]))).toBe(true);
      await Promise.all([s.close(), peer.close()]);
    });

    it("notices: queued to every device of the recipient once, however many nodes send it", async () => {
      const [s, peer] = await backend.open();
      const st = s.safety;
      const devices = await account(s, TEEN, 2);
      const teen = devices[0]!.accountId;
      const a = await id(s);
      const event = (i: number) => ({ id: uid(`notice${i}`), kind: "safety-notice" as const, sentAt: now, data: new TextEncoder().encode("{}") });
      const sent = await Promise.all([st.notify(teen, a, "adult-stranger", event(1)), peer.safety.notify(teen, a, "adult-stranger", event(2))]);
      const deliveries = sent.flat();
      expect(deliveries.map((d) => d.deviceId).sort()).toEqual(devices.map((d) => d.deviceId).sort());
      expect(new Set(deliveries.map((d) => d.item.id)).size).toBe(1);
      await st.notify(teen, a, "flagged-sender", event(3));
      expect(await st.noticesAbout(teen, a)).toEqual(["adult-stranger", "flagged-sender"]);
      const queue = await s.listQueue(devices[1]!.deviceId, 10);
      const notices = queue.filter((i) => i.kind === "safety-notice");
      expect(notices).toHaveLength(2);
      expect(await st.accountsOfDevices([devices[0]!.deviceId, devices[1]!.deviceId, "nope"])).toEqual(
        new Map(devices.map((d) => [d.deviceId, teen])),
      );
      await st.dropQueueRows(notices.map((i) => ({ deviceId: devices[1]!.deviceId, messageId: i.id })));
      expect((await s.listQueue(devices[1]!.deviceId, 10)).filter((i) => i.kind === "safety-notice")).toEqual([]);
      expect((await s.listQueue(devices[0]!.deviceId, 10)).filter((i) => i.kind === "safety-notice")).toHaveLength(2);
      await Promise.all([s.close(), peer.close()]);
    });

    it("two nodes: a rate-limited account's daily allowance is not exceeded, concurrent requests are counted once each", async () => {
      const [s, peer] = await backend.open();
      const sender = await id(s);
      const targets = await Promise.all(Array.from({ length: 12 }, () => id(s)));
      const allowance = { max: 3, since: now - 24 * HOUR };
      const counted = await Promise.all(
        targets.map((t, i) => (i % 2 === 0 ? s : peer).safety.recordRequest(sender, t, false, now, allowance)),
      );
      expect(counted.filter(Boolean)).toHaveLength(3);
      expect(await s.safety.countEvents(sender, ["request"], 0, false)).toBe(3);
      // The same request opened on both nodes at once is one row.
      await Promise.all([s.safety.putPendingRequest(sender, targets[0]!, now), peer.safety.putPendingRequest(sender, targets[0]!, now + 1)]);
      expect(await s.safety.outgoingRequests(sender, "pending")).toHaveLength(1);
      // A rule evaluated on both nodes at once fires once.
      const fired = await Promise.all([0, 1, 2, 3].map((i) => (i % 2 === 0 ? s : peer).safety.fireRule(sender, "r", actions(sender, "r", ["rate-limit"]))));
      expect(fired.filter(Boolean)).toHaveLength(1);
      expect(await s.safety.activeActions(sender)).toHaveLength(1);
      await Promise.all([s.close(), peer.close()]);
    });

    it("two nodes through SafetyService: the allowance holds for claims on both, and a block on one is seen by the other's fan-out", async () => {
      const [s, peer] = await backend.open();
      // One notifier stands in for NATS: it carries the "safety" signal between the two services.
      const notifier = new InProcessNotifier();
      const policy = resolvePolicy({ rateLimitedRequestsPerDay: 2, rules: [] });
      const nodes = [new SafetyService(s.safety, policy, notifier), new SafetyService(peer.safety, policy, notifier)] as const;
      for (const node of nodes) notifier.onSignal("safety", () => node.invalidate());
      const [sender] = await account(s);
      await s.safety.fireRule(sender!.accountId, "manual", actions(sender!.accountId, "manual", ["rate-limit"]));
      const targets = await Promise.all(Array.from({ length: 8 }, () => id(s)));
      const outcomes = await Promise.allSettled(targets.map((t, i) => nodes[i % 2]!.beforeClaim(sender!, t, now)));
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(2);
      for (const o of outcomes) if (o.status === "rejected") expect(o.reason).toMatchObject({ code: "SL_ERR_RATE_LIMITED" });
      expect(await s.safety.outgoingRequests(sender!.accountId, "pending")).toHaveLength(2);

      const g = new Uint8Array(16).fill(3);
      const blocker = targets[0]!;
      expect(await nodes[1].withheldFor(sender!.accountId, g, now)).toEqual(new Set()); // memoized on node 2
      await nodes[0].block(blocker, sender!.accountId, now);
      expect(await nodes[1].withheldFor(sender!.accountId, g, now)).toEqual(new Set([blocker]));
      await Promise.all([s.close(), peer.close()]);
    });
  });
}
