/**
 * Behaviour every Storage implementation must have, written against the interface only, so the
 * PostgreSQL implementation can run the same suite: `describeStorageContract("postgres", open)`.
 */
import { describe, expect, it } from "vitest";
import { StorageError, type StorageErrorKind, type StorageFailure } from "../src/storage/storageError.js";
import type { Storage } from "../src/storage/types.js";

const now = 1_700_000_000_000;
let n = 0;
const uid = (p: string) => `${p}${++n}`;
const bytes = (...v: number[]) => new Uint8Array(v);

async function device(s: Storage, accountId = uid("acct")) {
  const deviceId = uid("dev");
  const challenge = uid("ch");
  const tokenHash = crypto.getRandomValues(new Uint8Array(32));
  const signatureKey = crypto.getRandomValues(new Uint8Array(32));
  const name = uid("n");
  await s.putChallenge(challenge, now + 60_000);
  await s.createAccount({
    challenge,
    now,
    accountId,
    name,
    birthdate: "2000-01-01",
    deviceId,
    signatureKey,
    session: { tokenHash, expiresAt: now + 60_000 },
  });
  return { accountId, deviceId, name, tokenHash, signatureKey };
}

/** A fresh, unused challenge and session for one call. */
async function fresh(s: Storage) {
  const challenge = uid("ch");
  await s.putChallenge(challenge, now + 60_000);
  return { challenge, now, session: { tokenHash: crypto.getRandomValues(new Uint8Array(32)), expiresAt: now + 60_000 } };
}

/** The call that provokes each refusal, with the failure it must raise; a Record, so no kind is left out. */
type Provoke = (s: Storage) => Promise<{ call: () => Promise<unknown>; failure: StorageFailure }>;
const provoke: Record<StorageErrorKind, Provoke> = {
  "name-taken": async (s) => {
    const a = await device(s);
    const input = { ...(await fresh(s)), accountId: uid("a"), name: a.name, birthdate: "2000-01-01", deviceId: uid("d"), signatureKey: crypto.getRandomValues(new Uint8Array(32)) };
    return { call: () => s.createAccount(input), failure: { kind: "name-taken" } };
  },
  "key-taken": async (s) => {
    const a = await device(s);
    const input = { ...(await fresh(s)), accountId: uid("a"), name: uid("n"), birthdate: "2000-01-01", deviceId: uid("d"), signatureKey: a.signatureKey };
    return { call: () => s.createAccount(input), failure: { kind: "key-taken" } };
  },
  "group-exists": async (s) => {
    const a = await device(s);
    const groupId = crypto.getRandomValues(new Uint8Array(16));
    await s.createGroup(groupId, a, now);
    return { call: () => s.createGroup(groupId, a, now), failure: { kind: "group-exists" } };
  },
  "no-such-group": async (s) => {
    const a = await device(s);
    return { call: () => s.appendCommit(commit(crypto.getRandomValues(new Uint8Array(16)), a)), failure: { kind: "no-such-group" } };
  },
  "not-member": async (s) => {
    const [{ groupId }, stranger] = [await group(s), await device(s)];
    return { call: () => s.appendCommit(commit(groupId, stranger)), failure: { kind: "not-member" } };
  },
  "stale-epoch": async (s) => {
    const { groupId, a } = await group(s);
    return { call: () => s.appendCommit({ ...commit(groupId, a), epoch: 3 }), failure: { kind: "stale-epoch", currentEpoch: 0 } };
  },
  "bad-challenge": async (s) => {
    const input = { ...(await fresh(s)), challenge: "never-issued", accountId: uid("a"), name: uid("n"), birthdate: "2000-01-01", deviceId: uid("d"), signatureKey: crypto.getRandomValues(new Uint8Array(32)) };
    return { call: () => s.createAccount(input), failure: { kind: "bad-challenge" } };
  },
  "bad-proof": async (s) => {
    const input = { ...(await fresh(s)), deviceId: "no-such-device" };
    return { call: () => s.createSession(input), failure: { kind: "bad-proof" } };
  },
  "bad-link-code": async (s) => {
    const input = { ...(await fresh(s)), codeHash: bytes(1, 2, 3), deviceId: uid("d"), signatureKey: crypto.getRandomValues(new Uint8Array(32)), eventId: uid("e") };
    return { call: () => s.linkDevice(input), failure: { kind: "bad-link-code" } };
  },
  "commit-sender-mismatch": async (s) => {
    const { groupId, a } = await group(s);
    return { call: () => s.appendCommit({ ...commit(groupId, a), senderLeaf: 1 }), failure: { kind: "commit-sender-mismatch" } };
  },
  "welcome-required": async (s) => {
    const [{ groupId, a }, b] = [await group(s), await device(s)];
    return { call: () => s.appendCommit({ ...commit(groupId, a), adds: [b], welcome: undefined }), failure: { kind: "welcome-required" } };
  },
  "blank-leaf-removal": async (s) => {
    const { groupId, a } = await group(s);
    return { call: () => s.appendCommit({ ...commit(groupId, a), removes: [5] }), failure: { kind: "blank-leaf-removal", leaf: 5 } };
  },
  "committer-removal": async (s) => {
    const { groupId, a } = await group(s);
    return { call: () => s.appendCommit({ ...commit(groupId, a), removes: [0] }), failure: { kind: "committer-removal" } };
  },
  "already-member": async (s) => {
    const { groupId, a } = await group(s);
    return { call: () => s.appendCommit({ ...commit(groupId, a), adds: [a] }), failure: { kind: "already-member", deviceId: a.deviceId } };
  },
};

/** A group at epoch 0 whose only member, at leaf 0, is `a`. */
async function group(s: Storage) {
  const a = await device(s);
  const groupId = crypto.getRandomValues(new Uint8Array(16));
  await s.createGroup(groupId, a, now);
  return { groupId, a };
}

/** An empty commit by `sender` at leaf 0 in epoch 0. */
function commit(groupId: Uint8Array, sender: { accountId: string; deviceId: string }) {
  return { groupId, epoch: 0, sender: { accountId: sender.accountId, deviceId: sender.deviceId }, senderLeaf: 0, removes: [], adds: [], commit: bytes(1), welcome: bytes(2), commitId: uid("m"), welcomeId: uid("w"), now };
}

/**
 * `open` gives a fresh, empty store; `openPeer(s)` a second handle on the same data, as a second
 * server node would have, to show the rules hold across nodes because the database enforces them.
 */
export function describeStorageContract(
  label: string,
  open: () => Promise<Storage>,
  openPeer: (s: Storage) => Promise<Storage>,
): void {
  describe(`Storage contract: ${label}`, () => {
    it.each(Object.keys(provoke) as StorageErrorKind[])("raises StorageError %s", async (kind) => {
      const s = await open();
      const { call, failure } = await provoke[kind](s);
      const err: unknown = await call().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).failure).toEqual(failure);
      await s.close();
    });

    it("uses a challenge once", async () => {
      const s = await open();
      await s.putChallenge("c1", now + 1000);
      const input = {
        challenge: "c1",
        now,
        accountId: uid("a"),
        name: uid("n"),
        birthdate: "2000-01-01",
        deviceId: uid("d"),
        signatureKey: crypto.getRandomValues(new Uint8Array(32)),
        session: { tokenHash: crypto.getRandomValues(new Uint8Array(32)), expiresAt: now + 1000 },
      };
      await s.createAccount(input);
      await expect(s.createAccount({ ...input, accountId: uid("a"), name: uid("n") })).rejects.toMatchObject({ failure: { kind: "bad-challenge" } });
      await s.close();
    });

    it("rolls a failed commit back completely and accepts one commit per epoch", async () => {
      const s = await open();
      const [a, b, c] = [await device(s), await device(s), await device(s)];
      const groupId = bytes(...Array(16).fill(9));
      await s.createGroup(groupId, a, now);
      const base = { groupId, sender: a, senderLeaf: 0, welcome: bytes(3), commit: bytes(1), now };
      // Adds c, then fails (remove of a blank leaf): nothing may change.
      await expect(
        s.appendCommit({ ...base, epoch: 0, removes: [5], adds: [c], commitId: uid("m"), welcomeId: uid("w") }),
      ).rejects.toMatchObject({ failure: { kind: "blank-leaf-removal", leaf: 5 } });
      expect(await s.getGroup(groupId)).toMatchObject({ epoch: 0, members: [{ leaf: 0, deviceId: a.deviceId }] });

      const ok = await s.appendCommit({ ...base, epoch: 0, removes: [], adds: [b, c], commitId: uid("m"), welcomeId: uid("w") });
      expect(ok.epoch).toBe(1);
      // Welcome to both new devices; the commit to nobody (the sender was alone).
      expect(ok.deliveries.map((d) => [d.deviceId, d.item.kind]).sort()).toEqual(
        [[b.deviceId, "welcome"], [c.deviceId, "welcome"]].sort(),
      );
      await expect(
        s.appendCommit({ ...base, epoch: 0, removes: [], adds: [], commitId: uid("m"), welcomeId: uid("w") }),
      ).rejects.toMatchObject({ failure: { kind: "stale-epoch", currentEpoch: 1 } });
      const removed = await s.appendCommit({ ...base, epoch: 1, removes: [1], adds: [], commitId: uid("m"), welcomeId: uid("w") });
      expect(removed.deliveries.map((d) => d.deviceId).sort()).toEqual([b.deviceId, c.deviceId].sort());
      expect((await s.getGroup(groupId))!.members.map((m) => m.leaf)).toEqual([0, 2]);
      await s.close();
    });

    it("numbers each device's queue in order and acks only that device's items", async () => {
      const frank = (i: number) => ({ keyId: "k", serverFrank: `f${i}`, signature: "s", proof: { leafIndex: i, treeSize: 3, inclusionPath: [] } });
      const s = await open();
      const [a, b, c] = [await device(s), await device(s), await device(s)];
      const groupId = bytes(...Array(16).fill(7));
      await s.createGroup(groupId, a, now);
      await s.appendCommit({ groupId, epoch: 0, sender: a, senderLeaf: 0, removes: [], adds: [b, c], commit: bytes(1), welcome: bytes(2), commitId: uid("m"), welcomeId: uid("w"), now });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const id = uid("app");
        ids.push(id);
        await s.appendApplication({ groupId, epoch: 1, sender: a, message: bytes(i), id, now, frank: () => frank(i) });
      }
      const q = await s.listQueue(b.deviceId, 100);
      expect(q.map((i) => i.kind)).toEqual(["welcome", "application", "application", "application"]);
      expect(q.slice(1).map((i) => i.id)).toEqual(ids);
      expect(q.slice(1).map((i) => i.frank)).toEqual([frank(0), frank(1), frank(2)]);
      expect(q.map((i) => i.seq)).toEqual([1, 2, 3, 4]);
      expect(await s.ackQueue(c.deviceId, [ids[0]!])).toBe(1);
      expect(await s.listQueue(b.deviceId, 100)).toHaveLength(4);
      expect(await s.ackQueue(b.deviceId, [ids[0]!, ids[0]!, "nope"])).toBe(1);
      expect((await s.listQueue(b.deviceId, 100)).map((i) => i.id)).not.toContain(ids[0]);
      // A stamp that cannot be made refuses that message alone: nothing of it is stored.
      const refused = uid("app");
      const failing = () => {
        throw new Error("franking batch failed");
      };
      const sent = uid("app");
      const results = await Promise.allSettled([
        s.appendApplication({ groupId, epoch: 1, sender: a, message: bytes(9), id: refused, now, frank: failing }),
        s.appendApplication({ groupId, epoch: 1, sender: a, message: bytes(8), id: sent, now, frank: () => frank(3) }),
      ]);
      expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);
      expect((await s.listQueue(c.deviceId, 100)).filter((i) => i.kind === "application").map((i) => i.id)).toEqual([...ids.slice(1), sent]);
      await s.close();
    });

    it("claims one-time packages once and keeps the last resort", async () => {
      const s = await open();
      const a = await device(s);
      await s.addKeyPackages(a, [bytes(1), bytes(2)], bytes(9));
      const claims = await Promise.all(Array.from({ length: 5 }, () => s.claimKeyPackages(a.accountId, undefined)));
      const got = claims.map((c) => c[0]!.keyPackage[0]);
      expect(got.filter((v) => v !== 9).sort()).toEqual([1, 2]);
      expect(await s.countKeyPackages(a.deviceId)).toEqual({ available: 0, lastResort: true });
      await s.close();
    });

    it("accepts exactly one of 100 concurrent commits for an epoch made through two nodes", async () => {
      const s = await open();
      const peer = await openPeer(s);
      const [a, b] = [await device(s), await device(s)];
      const groupId = bytes(...Array(16).fill(5));
      await s.createGroup(groupId, a, now);
      await s.appendCommit({ groupId, epoch: 0, sender: a, senderLeaf: 0, removes: [], adds: [b], commit: bytes(1), welcome: bytes(2), commitId: uid("m"), welcomeId: uid("w"), now });
      const results = await Promise.allSettled(
        Array.from({ length: 100 }, (_, i) =>
          (i % 2 === 0 ? s : peer).appendCommit({
            groupId, epoch: 1, sender: i % 4 < 2 ? a : b, senderLeaf: i % 4 < 2 ? 0 : 1,
            removes: [], adds: [], commit: bytes(i), welcome: undefined, commitId: uid("m"), welcomeId: uid("w"), now,
          }),
        ),
      );
      const accepted = results.filter((r) => r.status === "fulfilled");
      expect(accepted).toHaveLength(1);
      for (const r of results) {
        if (r.status === "rejected") expect(r.reason).toMatchObject({ failure: { kind: "stale-epoch", currentEpoch: 2 } });
      }
      expect((await peer.getGroup(groupId))?.epoch).toBe(2);
      expect((await s.getGroup(groupId))?.epoch).toBe(2);
      // The one accepted commit reached the other member exactly once.
      const winner = results.findIndex((r) => r.status === "fulfilled");
      const other = winner % 4 < 2 ? b : a;
      expect((await s.listQueue(other.deviceId, 1000)).filter((i) => i.kind === "commit")).toHaveLength(1);
      await peer.close();
      await s.close();
    });

    it("hands out each of 1,000 KeyPackages once to concurrent claims through two nodes", async () => {
      const s = await open();
      const peer = await openPeer(s);
      const a = await device(s);
      const packages = Array.from({ length: 1000 }, (_, i) => bytes(i >> 8, i & 255));
      await s.addKeyPackages(a, packages, bytes(255, 255, 255));
      const claims = await Promise.all(Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? s : peer).claimKeyPackages(a.accountId, undefined)));
      const got = claims.map((c) => Buffer.from(c[0]!.keyPackage).toString("hex"));
      const oneTime = got.filter((h) => h !== "ffffff");
      expect(new Set(oneTime).size).toBe(oneTime.length);
      // Every claim got a package: a one-time one while any was free, else the last resort.
      expect(got).toHaveLength(1000);
      expect(await s.countKeyPackages(a.deviceId)).toEqual({ available: 1000 - oneTime.length, lastResort: true });
      await peer.close();
      await s.close();
    });

    it("stores a report once with its revealed messages, and a ban closes it and ends the sessions", async () => {
      const s = await open();
      const [alice, bob, mod] = [await device(s), await device(s), await device(s)];
      const groupId = bytes(...Array(16).fill(3));
      const proof = { leafIndex: 1, treeSize: 2, inclusionPath: ["aGFzaA"] };
      const message = (id: string, i: number, withProof: boolean) => ({
        messageId: id,
        senderAccountId: alice.accountId,
        acceptedAt: now + i,
        content: bytes(10 + i),
        keyId: "k1",
        serverFrank: bytes(20 + i),
        signature: bytes(30 + i),
        proof: withProof ? proof : undefined,
        verified: withProof,
      });
      const report = {
        reportId: uid("r"),
        reporterAccountId: bob.accountId,
        reportedMessageId: "m2",
        reportedAccountId: alice.accountId,
        groupId,
        reason: "grooming" as const,
        note: "note",
        createdAt: now,
        status: "open" as const,
        messages: [message("m1", 1, false), message("m2", 2, true)],
      };
      expect(await s.moderation.insertReport(report)).toBe(true);
      expect(await s.moderation.insertReport({ ...report, reportId: uid("r") })).toBe(false);
      expect(await s.moderation.getReport(report.reportId)).toEqual(report);
      expect(await s.moderation.listReports("open")).toEqual([expect.objectContaining({ reportId: report.reportId, messageCount: 2 })]);
      const about = await s.moderation.reportsAbout(alice.accountId);
      expect([about.against.length, about.by.length]).toEqual([1, 0]);

      expect(await s.moderation.getRole(mod.accountId)).toBe("user");
      const modName = (await s.getAccountById(mod.accountId))!.name;
      expect(await s.moderation.setRole(modName, "moderator")).toBe(true);
      expect(await s.moderation.setRole("nobody-by-this-name", "admin")).toBe(false);
      expect(await s.moderation.getRole(mod.accountId)).toBe("moderator");

      expect(await s.findSession(alice.tokenHash, now)).toBeDefined();
      const decision = { decisionId: uid("d"), reportId: report.reportId, subjectAccountId: alice.accountId, moderatorAccountId: mod.accountId, action: "ban" as const, note: "n", createdAt: now + 5 };
      await s.moderation.decide(decision);
      expect(await s.moderation.isBanned(alice.accountId)).toBe(true);
      expect(await s.moderation.isBanned(bob.accountId)).toBe(false);
      expect(await s.moderation.decisionsAbout(alice.accountId)).toEqual([decision]);
      expect((await s.moderation.listReports("decided")).map((r) => r.reportId)).toEqual([report.reportId]);
      expect(await s.findSession(alice.tokenHash, now)).toBeUndefined();
      expect(await s.findSession(bob.tokenHash, now)).toBeDefined();
      await s.close();
    });

    it("keeps one unforked audit chain when two nodes append at once", async () => {
      const s = await open();
      const peer = await openPeer(s);
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          (i % 2 === 0 ? s : peer).moderation.audit({ at: now + i, actorAccountId: `mod${i % 3}`, action: "report.view", subject: `r${i}`, detail: "{}" }),
        ),
      );
      const log = await s.moderation.listAudit(100);
      expect(log).toHaveLength(60);
      expect(new Set(log.map((e) => e.subject)).size).toBe(60);
      expect(log.map((e) => e.seq)).toEqual([...log.map((e) => e.seq)].sort((a, b) => b - a));
      expect(await peer.moderation.verifyAuditChain()).toBeUndefined();
      await Promise.all([s.close(), peer.close()]);
    });

    it("logs every new device once, at consecutive leaf indexes, when two nodes add devices at once", async () => {
      const s = await open();
      const peer = await openPeer(s);
      const made = await Promise.all(Array.from({ length: 40 }, (_, i) => device(i % 2 === 0 ? s : peer)));
      expect(await peer.ktLogSize()).toBe(40);
      const log = await s.listKtEntries(0, 40);
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      const logged = new Map(log.map((e) => [e.deviceId, e]));
      for (const d of made) {
        const e = logged.get(d.deviceId);
        expect(e).toMatchObject({ accountId: d.accountId, action: "add", time: now });
        expect(Buffer.from(e!.publicKey).equals(Buffer.from(d.signatureKey))).toBe(true);
      }
      expect(await peer.listKtEntries(10, 12)).toEqual(log.slice(10, 12));
      await Promise.all([s.close(), peer.close()]);
    });

    it("keeps one active franking key when two nodes rotate at once", async () => {
      const s = await open();
      const peer = await openPeer(s);
      const key = (i: number, createdAt: number) => ({
        keyId: uid("k"),
        hmacKey: bytes(i),
        signKey: bytes(i, 1),
        publicKey: bytes(i, 2),
        createdAt,
        retiredAt: undefined,
      });
      expect(await s.rotateFrankingKey(key(1, now), now - 1000)).toBe(true);
      // Both find the key stale at now + 2000 and rotate together: one wins, the other keeps its key.
      const results = await Promise.all([s, peer, s, peer].map((node, i) => node.rotateFrankingKey(key(10 + i, now + 2000 + i), now + 1000)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const keys = await peer.listFrankingKeys();
      expect(keys).toHaveLength(2);
      expect(keys.filter((k) => k.retiredAt === undefined)).toHaveLength(1);
      expect(keys[0]!.retiredAt).toBeUndefined();
      expect(await s.listFrankingKeys()).toEqual(keys);
      await Promise.all([s.close(), peer.close()]);
    });
  });
}
