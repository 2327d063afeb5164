/** The server's franking stamp: agrees with the protocol reference, rotates, and keeps old keys verifiable. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  computeServerFrank,
  encodeContent,
  frankingTag,
  fromB64,
  newFrankingSalt,
  toB64,
  verifyServerFrankSignature,
  type FrankContext,
} from "@safelight/protocol";
import { FrankingService } from "../src/franking.js";
import { openSqliteStorage } from "../src/storage/sqlite.js";

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
    expect(verifyServerFrankSignature(fromB64(published.publicKey)!, fromB64(stamp.serverFrank)!, context, fromB64(stamp.signature)!)).toBe(true);
    expect(await service.verifyOpening({ content, keyId: stamp.keyId, serverFrank: fromB64(stamp.serverFrank)! }, context)).toBe(true);
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
    const opening = { content, keyId: old.keyId, serverFrank: fromB64(old.serverFrank)! };
    expect(await service.verifyOpening(opening, context)).toBe(true);
    // Past the report window the retired key is swept, and the old opening no longer verifies.
    await storage.sweep(10_000_000, 10_000_000);
    expect(await service.verifyOpening(opening, context)).toBe(false);
  });
});
