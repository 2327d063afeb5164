/**
 * Verifiable reporting against the real server (in-process, real HTTP): an honest report verifies, and
 * every forgery in docs/franking.md fails. Openings come from real received messages in a client store.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setAccountRole, startServer } from "@safelight/server";
import { backendOptions, queryTestStore, storageTarget } from "@safelight/server/testing";
import { SafelightClient, type StoredMessage } from "@safelight/client";
import { SqliteClientStore } from "@safelight/client/node";
import {
  decodeGroupState,
  encodeContent,
  encodeFrankingAad,
  encryptApplication,
  frankingTag,
  fromB64,
  newFrankingSalt,
  toB64,
  createEngine,
} from "@safelight/protocol";
import { nodeCryptoProvider } from "@safelight/protocol/node";

let dir: string;
let server: { url: string; close(): Promise<void> };
const stores = new Map<string, SqliteClientStore>();
const dropped: string[] = [];

async function newClient(name: string): Promise<SafelightClient> {
  const store = new SqliteClientStore(join(dir, `${name}.db`));
  stores.set(name, store);
  const client = new SafelightClient({ store, provider: nodeCryptoProvider, warn: (m) => dropped.push(`${name}: ${m}`) });
  await client.register(server.url, name, "1990-05-05");
  return client;
}

async function token(name: string): Promise<string> {
  return (await stores.get(name)!.getProfile())!.token;
}

async function postReport(name: string, body: unknown): Promise<{ status: number; json: { error?: { code: string } } }> {
  const res = await fetch(new URL("/v1/reports", server.url), {
    method: "POST",
    headers: { authorization: `Bearer ${await token(name)}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as { error?: { code: string } } };
}

function opening(m: StoredMessage) {
  return {
    messageId: m.id,
    groupId: m.groupId,
    senderAccountId: m.senderAccountId,
    acceptedAt: m.sentAt,
    content: toB64(m.content!),
    ...m.frank!,
  };
}

let alice: SafelightClient;
let bob: SafelightClient;
let carol: SafelightClient;
let received: StoredMessage[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "safelight-reports-"));
  server = await startServer({ dataDir: join(dir, "server"), host: "127.0.0.1", port: 0, handleSignals: false, logger: false, ...backendOptions(join(dir, "server")) });
  [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map(newClient)) as [SafelightClient, SafelightClient, SafelightClient];
  for (const text of ["hello", "how old are you?", "send me a photo", "don't tell your parents"]) await alice.sendText("bob", text);
  await carol.sendText("bob", "unrelated message from carol");
  await bob.sync();
  received = (await bob.history()).filter((m) => !m.outgoing);
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("verifiable reports", () => {
  it("an honest report verifies with its context and reaches the moderators' queue", async () => {
    const target = received.find((m) => m.text === "don't tell your parents")!;
    const r = await bob.report(target.id, "grooming", { note: "adult asking for photos" });
    expect(r).toMatchObject({ verified: 4, unverified: [] });

    await expect(carol.moderation.reports()).rejects.toMatchObject({ code: "SL_ERR_FORBIDDEN" });
    expect(await setAccountRole(storageTarget(join(dir, "server")), "carol", "moderator")).toBe(true);
    const queue = (await carol.moderation.reports()).reports;
    expect(queue.map((q) => [q.reportId, q.reason, q.reporter.name, q.reported.name])).toEqual([[r.reportId, "grooming", "bob", "alice"]]);
    const detail = await carol.moderation.report(r.reportId);
    expect(detail.messages.map((m) => [m.text, m.verified, m.reported])).toEqual([
      ["hello", true, false],
      ["how old are you?", true, false],
      ["send me a photo", true, false],
      ["don't tell your parents", true, true],
    ]);
    await carol.moderation.decide(r.reportId, "restrict", "contact restricted");
    expect((await carol.moderation.reports("decided")).reports).toHaveLength(1);
    const audit = await carol.moderation.audit();
    expect(audit.intact).toBe(true);
    expect(audit.entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(["report.create", "role.set", "reports.list", "report.view", "report.decide"]),
    );
  });

  it("a replayed report is refused", async () => {
    const target = received.find((m) => m.text === "don't tell your parents")!;
    await expect(bob.report(target.id, "grooming")).rejects.toMatchObject({ code: "SL_ERR_DUPLICATE_REPORT" });
  });

  describe("forgeries fail", () => {
    const forge = (mutate: (o: ReturnType<typeof opening>) => Record<string, unknown>) => async () => {
      const genuine = opening(received.find((m) => m.text === "send me a photo")!);
      const r = await postReport("bob", { reason: "harassment", reported: mutate(genuine) });
      expect(r.status).toBe(400);
      expect(r.json.error?.code).toBe("SL_ERR_REPORT_UNVERIFIED");
    };
    const otherMessage = () => opening(received.find((m) => m.text === "hello")!);
    const editedContent = (o: ReturnType<typeof opening>) => {
      const json = JSON.parse(Buffer.from(fromB64(o.content)!).toString()) as { text: string };
      json.text = "send me money";
      return toB64(new TextEncoder().encode(JSON.stringify(json)));
    };

    it("altered text", forge((o) => ({ ...o, content: editedContent(o) })));
    it("a salt from another message", forge((o) => {
      const mine = JSON.parse(Buffer.from(fromB64(o.content)!).toString()) as { salt: string };
      const other = JSON.parse(Buffer.from(fromB64(otherMessage().content)!).toString()) as { salt: string };
      return { ...o, content: toB64(new TextEncoder().encode(JSON.stringify({ ...mine, salt: other.salt }))) };
    }));
    it("a context naming a different sender", forge((o) => ({ ...o, senderAccountId: bob.me.accountId })));
    it("a context naming a different conversation", forge((o) => ({ ...o, groupId: toB64(new Uint8Array(16).fill(9)) })));
    it("a context naming a different time", forge((o) => ({ ...o, acceptedAt: o.acceptedAt - 60_000 })));
    it("a server frank under an unknown key id", forge((o) => ({ ...o, keyId: "no-such-key" })));
    it("a server frank from another message", forge((o) => ({ ...o, serverFrank: otherMessage().serverFrank })));
    it("another message's batch signature and proof", forge((o) => ({ ...o, signature: otherMessage().signature, proof: otherMessage().proof })));
    it("an altered proof", forge((o) => ({ ...o, proof: { ...o.proof, treeSize: o.proof.treeSize + 1 } })));

    it("the old per-message form without a proof is refused", async () => {
      const { proof: _proof, ...old } = opening(received.find((m) => m.text === "send me a photo")!);
      const r = await postReport("bob", { reason: "harassment", reported: old });
      expect(r.status).toBe(400);
    });

    it("a message from a conversation the reporter is not in", async () => {
      // Carol (now a moderator, but not in Alice and Bob's conversation) replays Bob's genuine opening.
      const genuine = opening(received.find((m) => m.text === "how old are you?")!);
      const r = await postReport("carol", { reason: "spam", reported: genuine });
      expect(r.json.error?.code).toBe("SL_ERR_REPORT_UNVERIFIED");
    });

    it("context from another conversation is marked unverified, never trusted", async () => {
      const target = received.find((m) => m.text === "how old are you?")!;
      const foreign = received.find((m) => m.text === "unrelated message from carol")!;
      const r = await postReport("bob", { reason: "other", reported: opening(target), context: [opening(foreign)] });
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({ verified: 1, unverified: [foreign.id] });
    });
  });

  it("a sender whose tag does not match the content: honest recipients drop the message", async () => {
    const aliceStore = stores.get("alice")!;
    const group = (await aliceStore.listGroups()).find((g) => g.kind === "direct")!;
    const engine = await createEngine({ provider: nodeCryptoProvider, checkCredential: async () => true });
    const salt = newFrankingSalt();
    const shown = encodeContent({ v: 1, type: "text", salt: toB64(salt), text: "what bob will see", sentAt: Date.now() });
    const deniable = encodeContent({ v: 1, type: "text", salt: toB64(salt), text: "what a report would show", sentAt: Date.now() });
    const sent = await encryptApplication(engine, decodeGroupState(group.state), shown, encodeFrankingAad(frankingTag(salt, deniable)));
    const res = await fetch(new URL(`/v1/groups/${group.groupId}/messages`, server.url), {
      method: "POST",
      headers: { authorization: `Bearer ${await token("alice")}`, "content-type": "application/json" },
      body: JSON.stringify({ message: toB64(sent.message) }),
    });
    expect(res.status).toBe(200);
    dropped.length = 0;
    expect(await bob.sync()).toEqual([]);
    expect(dropped.join("\n")).toMatch(/franking tag mismatch/);
    expect((await bob.history()).some((m) => m.text === "what bob will see")).toBe(false);
  });

  describe("a recipient drops a message whose stamp does not verify", () => {
    // Stands in for a misbehaving server: rewrites the stored stamp before Bob fetches the message.
    const tampered = (change: (frank: Record<string, any>) => Record<string, unknown>) => async () => {
      const sent = await alice.sendText("bob", `stamp test ${Math.random()}`);
      const server = join(dir, "server");
      const [row] = await queryTestStore<{ frank: string | Record<string, unknown> }>(server, "SELECT frank FROM messages WHERE message_id = ?", [sent.id]);
      const frank = typeof row!.frank === "string" ? JSON.parse(row!.frank) : row!.frank; // text on SQLite, jsonb on PostgreSQL
      await queryTestStore(server, "UPDATE messages SET frank = ? WHERE message_id = ?", [JSON.stringify(change(frank)), sent.id]);
      dropped.length = 0;
      expect(await bob.sync()).toEqual([]);
      expect(dropped.join("\n")).toMatch(/server franking signature does not verify/);
      expect((await bob.history()).some((m) => m.id === sent.id)).toBe(false);
    };

    it("a proof with another index", tampered((f) => ({ ...f, proof: { ...f.proof, leafIndex: f.proof.leafIndex + 1 } })));
    it("a proof with another size", tampered((f) => ({ ...f, proof: { ...f.proof, treeSize: f.proof.treeSize + 1 } })));
    it("a path with an extra hash", tampered((f) => ({ ...f, proof: { ...f.proof, inclusionPath: [...f.proof.inclusionPath, f.serverFrank] } })));
    it("another message's stamp", tampered(() => ({ ...received.find((m) => m.text === "hello")!.frank })));
    it("the old per-message form, without a proof", tampered(({ proof: _proof, ...rest }) => rest));
  });

  it("the stamp of a delivered message verifies and is kept with its proof for reporting", async () => {
    const m = received.find((x) => x.text === "hello")!;
    expect(m.frank).toMatchObject({ proof: { leafIndex: expect.any(Number), treeSize: expect.any(Number), inclusionPath: expect.any(Array) } });
  });
});
