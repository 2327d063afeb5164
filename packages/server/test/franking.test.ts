/** The server's franking stamp: agrees with the protocol reference, batches one signature per event-loop
 *  turn, rotates, and keeps old keys verifiable. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  computeServerFrank,
  encodeContent,
  frankingTag,
  fromB64,
  inclusionPath,
  merkleLeafHash,
  merkleLevels,
  merkleTree,
  newFrankingSalt,
  toB64,
  verifyServerFrank,
  type FrankContext,
  type ServerFrank,
} from "@safelight/protocol";
import { FrankingService } from "../src/franking.js";
import { nodeHash, nodeHashBase64url } from "@safelight/protocol/node";
import { openSqliteStorage } from "../src/storage/sqlite.js";
import { openPostgresStorage } from "../src/storage/postgres/storage.js";
import { pgTestSchema, requirePostgres, testDatabaseUrl } from "./pgTestSchema.js";

const dir = mkdtempSync(join(tmpdir(), "safelight-franking-"));
const storage = openSqliteStorage(dir);
afterAll(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

function message() {
  const salt = newFrankingSalt();
  const content = encodeContent({ v: 1, type: "text", salt: toB64(salt), text: "hi", sentAt: 1 });
  return { content, tag: frankingTag(salt, content) };
}

describe("FrankingService", () => {
  it("stamps exactly what the protocol reference computes, and the published key verifies it", async () => {
    const service = new FrankingService(storage, 60_000);
    const { content, tag } = message();
    const context: FrankContext = { senderAccountId: "a", groupId: "g", acceptedAt: 1_000, messageId: "m" };
    const stamp = await service.stamp(tag, context);
    const [key] = await storage.listFrankingKeys();
    expect(stamp.keyId).toBe(key!.keyId);
    expect(fromB64(stamp.serverFrank)).toEqual(computeServerFrank(key!.hmacKey, tag, context));
    const published = (await service.publicKeys(1_000)).find((k) => k.keyId === stamp.keyId)!;
    expect(verifyServerFrank(fromB64(published.publicKey)!, stamp, context)).toBe(true);
    expect(await service.verifyOpening({ content, ...stamp }, context)).toBe(true);
  });

  it("builds the same RFC 9162 tree with node:crypto as the protocol reference, for 1..40 leaves", () => {
    for (let n = 1; n <= 40; n++) {
      const leaves = Array.from({ length: n }, (_, i) => new TextEncoder().encode(`leaf ${i} of ${n}`));
      const reference = merkleTree(leaves);
      const levels = merkleLevels(leaves.map((l) => Buffer.from(merkleLeafHash(l))), nodeHash);
      expect(toB64(levels.at(-1)![0]!)).toBe(toB64(reference.root));
      expect(leaves.map((_, i) => inclusionPath(levels, i).map(toB64))).toEqual(reference.paths.map((p) => p.map(toB64)));
      // The same tree over base64url-encoded hashes, as franking batches build it.
      const encoded = merkleLevels(leaves.map((l) => toB64(merkleLeafHash(l))), nodeHashBase64url);
      expect(encoded).toEqual(levels.map((level) => level.map(toB64)));
    }
  });

  it("stamps requested in one event-loop turn share one signature; each carries its own proof and verifies", async () => {
    const service = new FrankingService(storage, 60_000);
    await service.stamp(message().tag, { senderAccountId: "a", groupId: "g", acceptedAt: 3_000, messageId: "warm" });
    const messages = Array.from({ length: 50 }, (_, i) => ({
      ...message(),
      context: { senderAccountId: `s${i % 4}`, groupId: `g${i % 3}`, acceptedAt: 3_000 + i, messageId: `batch-${i}` },
    }));
    const stamps = await Promise.all(messages.map((m) => service.stamp(m.tag, m.context)));
    expect(new Set(stamps.map((s) => s.signature)).size).toBe(1);
    expect(stamps.map((s) => s.proof.leafIndex)).toEqual(messages.map((_, i) => i));
    expect(stamps.every((s) => s.proof.treeSize === 50 && s.proof.inclusionPath.length >= 3 && s.proof.inclusionPath.length <= 6)).toBe(true);
    const publicKey = fromB64((await service.publicKeys(3_000)).find((k) => k.keyId === stamps[0]!.keyId)!.publicKey)!;
    const cache = new Set<string>();
    for (const [i, s] of stamps.entries()) {
      expect(verifyServerFrank(publicKey, s, messages[i]!.context, cache)).toBe(true);
      expect(await service.verifyOpening({ content: messages[i]!.content, ...s }, messages[i]!.context)).toBe(true);
    }
    expect(cache.size).toBe(1);
    // Another message's proof, or a proof from another batch, does not pass the server's check either.
    const other = await service.stamp(messages[0]!.tag, { ...messages[0]!.context, messageId: "later" });
    const opening = (i: number, s: ServerFrank) => ({ content: messages[i]!.content, ...s });
    expect(await service.verifyOpening(opening(1, { ...stamps[1]!, proof: stamps[2]!.proof }), messages[1]!.context)).toBe(false);
    expect(await service.verifyOpening(opening(0, { ...stamps[0]!, signature: other.signature }), messages[0]!.context)).toBe(false);
    expect(await service.verifyOpening(opening(0, { ...stamps[0]!, proof: other.proof, signature: other.signature }), messages[0]!.context)).toBe(false);
  });

  it("stamps in different turns get different batches", async () => {
    const service = new FrankingService(storage, 60_000);
    const context = (i: number): FrankContext => ({ senderAccountId: "a", groupId: "g", acceptedAt: 4_000 + i, messageId: `turn-${i}` });
    const first = await Promise.all([0, 1, 2].map((i) => service.stamp(message().tag, context(i))));
    const second = await service.stamp(message().tag, context(3));
    await new Promise((resolve) => setImmediate(resolve));
    const third = await Promise.all([4, 5].map((i) => service.stamp(message().tag, context(i))));
    expect(first.map((s) => s.proof.treeSize)).toEqual([3, 3, 3]);
    expect(second.proof).toEqual({ leafIndex: 0, treeSize: 1, inclusionPath: [] });
    expect(third.map((s) => s.proof.treeSize)).toEqual([2, 2]);
    expect(new Set([first[0]!.signature, second.signature, third[0]!.signature]).size).toBe(3);
  });

  it("rotates keys; messages stamped under a retired key still verify until the window ends", async () => {
    const service = new FrankingService(storage, 60_000);
    const { content, tag } = message();
    const context: FrankContext = { senderAccountId: "a", groupId: "g", acceptedAt: 2_000, messageId: "m2" };
    const old = await service.stamp(tag, context);
    const later = await service.stamp(tag, { ...context, acceptedAt: 2_000 + 60_001 });
    expect(later.keyId).not.toBe(old.keyId);
    const keys = await service.publicKeys(2_000 + 60_001);
    expect(keys[0]!.keyId).toBe(later.keyId);
    expect(keys.find((k) => k.keyId === old.keyId)?.retiredAt).toBeDefined();
    const opening = { content, ...old };
    expect(await service.verifyOpening(opening, context)).toBe(true);
    // Past the report window the retired key is swept, and the old opening no longer verifies.
    await storage.sweep(10_000_000, 10_000_000);
    expect(await service.verifyOpening(opening, context)).toBe(false);
  });

  it("two nodes on one PostgreSQL stamp with the same key across a rotation, and each publishes the other's", async () => {
    await requirePostgres();
    const schema = pgTestSchema();
    const [dbA, dbB] = [await openPostgresStorage(testDatabaseUrl, { schema }), await openPostgresStorage(testDatabaseUrl, { schema })];
    let signals = 0;
    const a = new FrankingService(dbA, 60_000, () => signals++);
    const b = new FrankingService(dbB, 60_000, () => signals++);
    const ctx = (i: number, at: number): FrankContext => ({ senderAccountId: "a", groupId: "g", acceptedAt: at, messageId: `node-${i}` });
    const first = await Promise.all([a.stamp(message().tag, ctx(1, 1_000)), b.stamp(message().tag, ctx(2, 1_000))]);
    expect(first[0].keyId).toBe(first[1].keyId);
    // Both find the key stale at once: one rotates, the other takes the new key.
    const second = await Promise.all([a.stamp(message().tag, ctx(3, 61_001)), b.stamp(message().tag, ctx(4, 61_002))]);
    expect(second[0].keyId).toBe(second[1].keyId);
    expect(second[0].keyId).not.toBe(first[0].keyId);
    expect(signals).toBe(2); // the first key and the rotation, each made by one node
    const published = (await a.publicKeys(61_002)).map((k) => k.keyId);
    expect(published).toEqual([second[0].keyId, first[0].keyId]);
    expect((await b.publicKeys(61_002)).map((k) => k.keyId)).toEqual(published);
    await Promise.all([dbA.close(), dbB.close()]);
  });

  it("a turn that spans a key rotation is signed once per key", async () => {
    const service = new FrankingService(storage, 60_000);
    const base = 20_000_000; // later than every clock above: the service rotates by time
    const context = (i: number, at: number): FrankContext => ({ senderAccountId: "a", groupId: "g", acceptedAt: at, messageId: `rot-${i}` });
    await service.stamp(message().tag, context(0, base));
    const [a, b, c] = await Promise.all([
      service.stamp(message().tag, context(1, base + 1)),
      service.stamp(message().tag, context(2, base + 2)),
      service.stamp(message().tag, context(3, base + 60_001)),
    ]);
    expect(a!.keyId).toBe(b!.keyId);
    expect(c!.keyId).not.toBe(a!.keyId);
    expect([a!.proof, b!.proof, c!.proof].map((p) => [p.leafIndex, p.treeSize])).toEqual([[0, 2], [1, 2], [0, 1]]);
    const keys = await service.publicKeys(base + 60_001);
    const pub = (id: string) => fromB64(keys.find((k) => k.keyId === id)!.publicKey)!;
    expect(verifyServerFrank(pub(a!.keyId), a!, context(1, base + 1))).toBe(true);
    expect(verifyServerFrank(pub(b!.keyId), b!, context(2, base + 2))).toBe(true);
    expect(verifyServerFrank(pub(c!.keyId), c!, context(3, base + 60_001))).toBe(true);
    expect(verifyServerFrank(pub(c!.keyId), a!, context(1, base + 1))).toBe(false);
  });

  it("stamps that arrive together when a rotation is due make one new key, not one each", async () => {
    const fresh = openSqliteStorage(mkdtempSync(join(tmpdir(), "safelight-franking-rotate-")));
    const service = new FrankingService(fresh, 60_000);
    const context = (i: number): FrankContext => ({ senderAccountId: "a", groupId: "g", acceptedAt: 5_000, messageId: `r-${i}` });
    const stamps = await Promise.all(Array.from({ length: 20 }, (_, i) => service.stamp(message().tag, context(i))));
    expect(new Set(stamps.map((f) => f.keyId)).size).toBe(1);
    expect(await fresh.listFrankingKeys()).toHaveLength(1);
    await fresh.close();
  });
});
