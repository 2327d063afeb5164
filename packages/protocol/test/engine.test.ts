import { describe, expect, it } from "vitest";
import {
  commitChanges,
  createEngine,
  decodeGroupState,
  encodeGroupState,
  encryptApplication,
  generateDeviceKeys,
  joinFromWelcome,
  members,
  newGroup,
  newKeyPackage,
  processIncoming,
  welcomeRecipients,
  type DeviceIdentity,
  type Engine,
} from "../src/index.js";

const text = (s: string) => new TextEncoder().encode(s);

async function device(engine: Engine, who: DeviceIdentity) {
  const keys = generateDeviceKeys();
  return { who, keys, kp: await newKeyPackage(engine, who, keys) };
}

describe("MLS engine", () => {
  it("adds, messages with an authenticated sender, and removes", async () => {
    const directory = new Map<string, Uint8Array>();
    const engine = await createEngine({
      checkCredential: async (who, key) => {
        const known = directory.get(`${who.accountId}.${who.deviceId}`);
        return known !== undefined && Buffer.from(known).equals(Buffer.from(key));
      },
    });
    const alice = await device(engine, { accountId: "alice", deviceId: "d1" });
    const bob = await device(engine, { accountId: "bob", deviceId: "d1" });
    for (const d of [alice, bob]) directory.set(`${d.who.accountId}.${d.who.deviceId}`, d.keys.publicKey);

    let a = await newGroup(engine, text("group-0123456789"), alice.kp);
    const added = await commitChanges(engine, a, { add: [bob.kp.keyPackage] });
    a = added.state;
    expect(added.welcome).toBeDefined();
    expect(Buffer.from(welcomeRecipients(added.welcome!)[0]!)).toEqual(Buffer.from(bob.kp.ref));
    let b = await joinFromWelcome(engine, added.welcome!, bob.kp);
    expect(members(b).map((m) => m.accountId)).toEqual(["alice", "bob"]);

    const sent = await encryptApplication(engine, a, text("hello bob"));
    a = sent.state;
    const got = await processIncoming(engine, decodeGroupState(encodeGroupState(b)), sent.message);
    expect(got.kind).toBe("application");
    if (got.kind !== "application") return;
    expect(new TextDecoder().decode(got.plaintext)).toBe("hello bob");
    expect(got.sender).toMatchObject({ accountId: "alice", deviceId: "d1", leaf: 0 });
    b = got.state;

    const removed = await commitChanges(engine, a, { removeLeaves: [1] });
    const seen = await processIncoming(engine, b, removed.commit);
    expect(seen).toMatchObject({ kind: "commit", removedSelf: true });
    const after = await encryptApplication(engine, removed.state, text("after removal"));
    await expect(processIncoming(engine, b, after.message)).rejects.toThrow();
  });

  it("refuses a member whose credential the directory does not vouch for", async () => {
    const engine = await createEngine({ checkCredential: async () => false });
    const alice = await device(engine, { accountId: "alice", deviceId: "d1" });
    const mallory = await device(engine, { accountId: "bob", deviceId: "d1" });
    const a = await newGroup(engine, text("group-0123456789"), alice.kp);
    await expect(commitChanges(engine, a, { add: [mallory.kp.keyPackage] })).rejects.toThrow();
  });
});
