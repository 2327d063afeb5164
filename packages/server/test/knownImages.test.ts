/**
 * Known-image detection against the real server (in-process, real HTTP; docs/known-images.md):
 * 1. a profile picture near a listed hash is refused, queued high-priority with evidence; an unrelated one passes;
 * 2. a reported attachment that matches is flagged in the report;
 * 3. escalation writes a CyberTipline-style report that validates against docs/cybertip-report.schema.json;
 * 4. evidence is ciphertext in the raw files, readable with the moderation key, and deleted after retention.
 */
import { createDecipheriv, createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToHex } from "@safelight/pdq";
import { hashFile } from "@safelight/pdq/node";
// The server package does not depend on the client (that would be a cycle: client dev-depends on the
// server); this end-to-end test of detection drives a real client through the built workspace package.
// eslint-disable-next-line no-restricted-imports -- end-to-end test, see above
import { SafelightClient } from "@safelight/client";
// eslint-disable-next-line no-restricted-imports -- end-to-end test, see above
import { SqliteClientStore } from "@safelight/client/node";
import { fromB64, merkleTree, verifyServerFrank } from "@safelight/protocol";
import { merkleRoot, nodeCryptoProvider } from "@safelight/protocol/node";
import { setAccountRole, startServer, type RunningServer } from "../src/index.js";
import { backendOptions, dumpPostgresSchema, queryTestStore, storageTarget, testBackend } from "../src/testing.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const repo = resolve(here, "../../..");
const vectors = process.env.SAFELIGHT_VECTORS ? resolve(process.env.SAFELIGHT_VECTORS) : resolve(repo, "../shared/vectors");
const image = (...p: string[]) => {
  const path = join(vectors, "pdq", "images", ...p);
  if (!existsSync(path)) throw new Error(`PDQ vector image missing: ${path} (set SAFELIGHT_VECTORS)`);
  return path;
};
const ORIG = image("bridge-mods", "aaa-orig.jpg");
const BLURRED = image("bridge-mods", "blur-a-lot.jpg"); // 4 bits from ORIG
const RESIZED = image("bridge-mods", "shrink-a-lot.jpg"); // 16 bits from ORIG
const UNRELATED = image("misc-images", "c.png"); // 146 bits from ORIG

interface Env {
  dir: string;
  server: RunningServer;
  stores: Map<string, SqliteClientStore>;
  files: Map<string, Uint8Array>;
}

async function boot(options: Record<string, unknown> = {}): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), "safelight-known-"));
  const server = await startServer({ dataDir: join(dir, "server"), host: "127.0.0.1", port: 0, handleSignals: false, logger: false, ...backendOptions(join(dir, "server")), ...options });
  return { dir, server, stores: new Map(), files: new Map() };
}

async function client(env: Env, name: string): Promise<SafelightClient> {
  const store = new SqliteClientStore(join(env.dir, `${name}.db`));
  env.stores.set(name, store);
  const c = new SafelightClient({
    store,
    provider: nodeCryptoProvider,
    // The reporter's client keeps decrypted attachments; a report can reveal them.
    fileSink: async (messageId, fileName, bytes) => {
      env.files.set(`${name}/${messageId}/${fileName}`, bytes);
      return `${messageId}/${fileName}`;
    },
  });
  await c.register(env.server.url, name, "1990-05-05");
  return c;
}

async function http(env: Env, who: string, method: string, path: string, body?: unknown, type = "application/json") {
  const token = (await env.stores.get(who)!.getProfile())!.token;
  const res = await fetch(new URL(path, env.server.url), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": type }) },
    body: body === undefined ? undefined : body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = Buffer.from(await res.arrayBuffer());
  let json: any;
  try {
    json = JSON.parse(text.toString());
  } catch {
    json = undefined;
  }
  return { status: res.status, json, bytes: new Uint8Array(text) };
}

const accountId = async (env: Env, name: string) => (await env.stores.get(name)!.getProfile())!.accountId;

let origHex: string;
beforeAll(async () => {
  origHex = hashToHex((await hashFile(ORIG)).hash);
});

describe("known-image detection", () => {
  let env: Env;
  let alice: SafelightClient;
  let bob: SafelightClient;
  let listId: string;

  beforeAll(async () => {
    env = await boot();
    [alice, bob] = (await Promise.all(["alice", "bob", "ada", "mo"].map((n) => client(env, n)))) as [SafelightClient, SafelightClient];
    expect(await setAccountRole(storageTarget(join(env.dir, "server")), "ada", "admin")).toBe(true);
    expect(await setAccountRole(storageTarget(join(env.dir, "server")), "mo", "moderator")).toBe(true);
  });

  afterAll(async () => {
    await env.server.close();
    for (const s of env.stores.values()) await s.close?.();
    rmSync(env.dir, { recursive: true, force: true });
  });

  it("admins import lists (others may not); the digest is public and counts are kept", async () => {
    const csv = `hash,id,label\n${origHex},test-0001,test-image\n${"0".repeat(63)}1,test-0002,filler\n`;
    expect((await http(env, "mo", "POST", "/v1/admin/hash-lists", { name: "test list", sourceOrg: "Test Org", csv })).status).toBe(403);
    const bad = await http(env, "ada", "POST", "/v1/admin/hash-lists", { name: "bad", sourceOrg: "Test Org", csv: "hash\nnothex\n" });
    expect(bad.status).toBe(400);
    const r = await http(env, "ada", "POST", "/v1/admin/hash-lists", { name: "test list", sourceOrg: "Test Org", threshold: 31, csv });
    expect(r.status).toBe(201);
    expect(r.json.list).toMatchObject({ name: "test list", sourceOrg: "Test Org", threshold: 31, status: "active", hashCount: 2, distinctCount: 2 });
    listId = r.json.list.listId;
    const digest = await (await fetch(new URL("/v1/hash-lists/digest", env.server.url))).json();
    expect(digest.distinctHashes).toBe(2);
    expect(digest.root).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(digest)).not.toContain(origHex);
    const sorted = [origHex, `${"0".repeat(63)}1`].sort().map((h) => Buffer.from(h, "hex"));
    expect(digest.root).toBe(merkleRoot(sorted).toString("hex"));
  });

  it("1. a blurred or resized copy of a listed image is refused as a profile picture; the queue has it with evidence", async () => {
    for (const path of [BLURRED, RESIZED]) {
      const r = await http(env, "alice", "PUT", "/v1/profile/picture", new Uint8Array(readFileSync(path)), "image/jpeg");
      expect(r.status).toBe(422);
      expect(r.json.error).toEqual({ code: "SL_ERR_IMAGE_REFUSED", message: "this image could not be accepted" });
    }
    const me = await accountId(env, "alice");
    expect((await http(env, "bob", "GET", `/v1/accounts/${me}/picture`)).status).toBe(404);

    const queue = await http(env, "mo", "GET", "/v1/mod/reports");
    const items = queue.json.reports.filter((q: any) => q.reported.accountId === me);
    expect(items).toHaveLength(2);
    for (const item of items) {
      expect(item).toMatchObject({ reason: "child_sexual_exploitation", priority: "high", status: "open" });
      const detail = await http(env, "mo", "GET", `/v1/mod/reports/${item.reportId}`);
      expect(detail.json.detection).toMatchObject({ priority: "high", flagged: true, source: "profile-picture" });
      expect(detail.json.evidence).toHaveLength(1);
      expect(detail.json.evidence[0].matches[0]).toMatchObject({ listId, sourceOrg: "Test Org", entryId: "test-0001" });
      expect(detail.json.evidence[0].matches[0].distance).toBeLessThanOrEqual(31);
    }
  });

  it("1. an unrelated picture passes and is served", async () => {
    const bytes = new Uint8Array(readFileSync(UNRELATED));
    const r = await http(env, "bob", "PUT", "/v1/profile/picture", bytes, "image/png");
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: "ok" });
    const got = await http(env, "alice", "GET", `/v1/accounts/${await accountId(env, "bob")}/picture`);
    expect(got.status).toBe(200);
    expect(Buffer.from(got.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect((await http(env, "alice", "PUT", "/v1/profile/picture", new TextEncoder().encode("not an image"), "image/png")).status).toBe(415);
  });

  let flaggedReportId: string;
  let attachmentBytes: Uint8Array;

  it("2. a reported attachment that matches a list is flagged in the report", async () => {
    attachmentBytes = new Uint8Array(readFileSync(RESIZED));
    await alice.sendText("bob", "hi");
    const sent = await alice.sendText("bob", "look at this", [{ name: "photo.jpg", type: "image/jpeg", bytes: attachmentBytes }]);
    await bob.sync();
    await bob.acceptRequest("alice"); // a first contact is a message request: attachments come once accepted
    const received = (await bob.history()).filter((m) => !m.outgoing);
    const target = received.find((m) => m.text === "look at this")!;
    expect(target.id).toBe(sent.id);
    const opened = env.files.get(`bob/${target.id}/photo.jpg`)!;
    expect(Buffer.from(opened).equals(Buffer.from(attachmentBytes))).toBe(true);
    const r = await bob.report(target.id, "child_sexual_exploitation", {
      note: "image",
      attachments: [{ messageId: target.id, name: "photo.jpg", type: "image/jpeg", bytes: opened }],
    });
    expect(r).toMatchObject({ verified: 2, attachments: 1 });
    expect(JSON.stringify(r)).not.toContain("flag"); // no list oracle for the reporter
    flaggedReportId = r.reportId;

    const detail = await http(env, "mo", "GET", `/v1/mod/reports/${r.reportId}`);
    expect(detail.json.priority).toBe("high");
    expect(detail.json.detection).toMatchObject({ flagged: true, source: "report-attachment" });
    expect(detail.json.evidence[0]).toMatchObject({ name: "photo.jpg", kind: "report-attachment", viewedByEsp: false });
    expect(detail.json.evidence[0].matches[0]).toMatchObject({ listId, entryId: "test-0001" });

    // An unrelated attachment is preserved but not flagged.
    const other = await alice.sendText("bob", "holiday", [{ name: "c.png", type: "image/png", bytes: new Uint8Array(readFileSync(UNRELATED)) }]);
    await bob.sync();
    const r2 = await bob.report(other.id, "harassment", {
      contextCount: 0,
      attachments: [{ messageId: other.id, name: "c.png", type: "image/png", bytes: env.files.get(`bob/${other.id}/c.png`)! }],
    });
    const d2 = await http(env, "mo", "GET", `/v1/mod/reports/${r2.reportId}`);
    expect(d2.json).toMatchObject({ priority: "normal", detection: { flagged: false } });
    // Attachments must belong to a verified message of the report.
    await expect(
      bob.report(received.find((m) => m.text === "hi")!.id, "other", { contextCount: 0, attachments: [{ messageId: "someone-else", name: "x", type: "image/png", bytes: new Uint8Array(4) }] }),
    ).rejects.toMatchObject({ code: "SL_ERR_BAD_REQUEST" });
  });

  it("3. escalation produces a CyberTipline-style report that validates, with hashes and franked messages; the audit log records who", async () => {
    // A moderator views the file first: the export must say a person at the ESP viewed it.
    const ev = (await http(env, "mo", "GET", `/v1/mod/reports/${flaggedReportId}/evidence`)).json.evidence[0];
    const content = await http(env, "mo", "GET", `/v1/mod/evidence/${ev.evidenceId}/content`);
    expect(Buffer.from(content.bytes).equals(Buffer.from(attachmentBytes))).toBe(true);

    const d = await http(env, "mo", "POST", `/v1/mod/reports/${flaggedReportId}/decision`, { action: "escalate", note: "known image" });
    expect(d.status).toBe(200);
    const base = join(env.dir, "server", "cybertip", flaggedReportId);
    const doc = JSON.parse(readFileSync(`${base}.json`, "utf8"));
    const xml = readFileSync(`${base}.xml`, "utf8");

    const schema = JSON.parse(readFileSync(join(repo, "docs", "cybertip-report.schema.json"), "utf8"));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    // …and a broken one does not.
    expect(validate({ ...doc, uploadedFiles: [{ ...doc.uploadedFiles[0], hashes: { sha256: "xyz" } }] })).toBe(false);

    const sha = (await import("node:crypto")).createHash("sha256").update(attachmentBytes).digest("hex");
    expect(doc.uploadedFiles).toHaveLength(1);
    expect(doc.uploadedFiles[0]).toMatchObject({ hashes: { sha256: sha }, fileViewedByEsp: true, source: "report-attachment" });
    expect(doc.uploadedFiles[0].hashes.pdq).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.uploadedFiles[0].matches[0]).toMatchObject({ listName: "test list", sourceOrg: "Test Org" });
    expect(doc.incidentSummary.incidentType).toBe("Child Pornography (possession, manufacture, and distribution)");
    expect(doc.reportedPerson).toMatchObject({ screenName: "alice", espUserId: await accountId(env, "alice") });
    expect(doc.chatEvidence.messages.map((m: any) => [m.text, m.verified, m.reportedMessage])).toEqual([
      ["hi", true, false],
      ["look at this", true, true],
    ]);
    expect(doc.chatEvidence.messages[1].attachmentNames).toEqual(["photo.jpg"]);
    expect(doc.chatEvidence.messages[1].franking.serverFrank.length).toBeGreaterThan(20);
    // A third party re-verifies every exported stamp from the document alone and the published key.
    const keys: { keyId: string; publicKey: string }[] = (await http(env, "mo", "GET", "/v1/franking/keys")).json.keys;
    for (const m of doc.chatEvidence.messages) {
      const context = { senderAccountId: m.senderEspUserId, groupId: doc.chatEvidence.conversationId, acceptedAt: Date.parse(m.dateTime), messageId: m.messageId };
      const key = fromB64(keys.find((k) => k.keyId === m.franking.keyId)!.publicKey)!;
      expect(m.franking.proof).toMatchObject({ leafIndex: expect.any(Number), treeSize: expect.any(Number) });
      expect(verifyServerFrank(key, m.franking, context)).toBe(true);
      expect(verifyServerFrank(key, m.franking, { ...context, senderAccountId: doc.producedBy.espUserId })).toBe(false);
    }
    const proofOf = (proof: unknown) => ({
      ...doc,
      chatEvidence: { ...doc.chatEvidence, messages: [{ ...doc.chatEvidence.messages[0], franking: { ...doc.chatEvidence.messages[0].franking, proof } }] },
    });
    expect(validate(proofOf({ leafIndex: -1, treeSize: 1, inclusionPath: [] }))).toBe(false);
    expect(validate(proofOf({ leafIndex: 0, treeSize: 1, inclusionPath: ["not base64!"] }))).toBe(false);
    expect(doc.producedBy.screenName).toBe("mo");

    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<report /);
    for (const tag of ["incidentSummary", "incidentType", "incidentDateTime", "reporter", "reportingPerson", "personOrUserReported", "fileDetails", "fileViewedByEsp", "chatImIncident"]) {
      expect(xml).toContain(`<${tag}`);
    }
    expect(xml).toContain(`<originalFileHash hashType="SHA256">${sha}</originalFileHash>`);
    expect(xml).toContain("<text>look at this</text>");
    expect(xml).toMatch(/<franking><keyId>[^<]+<\/keyId><serverFrank>[^<]+<\/serverFrank><signature>[^<]+<\/signature><proof><leafIndex>\d+<\/leafIndex><treeSize>\d+<\/treeSize><inclusionPath>/);

    const audit = await http(env, "mo", "GET", "/v1/mod/audit?limit=1000");
    expect(audit.json.intact).toBe(true);
    const produced = audit.json.entries.find((e: any) => e.action === "authority-report.produce");
    expect(produced).toMatchObject({ actorAccountId: await accountId(env, "mo"), subject: flaggedReportId });
    expect(audit.json.entries.map((e: any) => e.action)).toEqual(expect.arrayContaining(["evidence.preserve", "evidence.view", "detection.match", "hashlist.import"]));
  });

  it("4. evidence is ciphertext in the raw database and files; the moderation key opens it", async () => {
    const dataDir = join(env.dir, "server");
    const keyFile = join(dataDir, "moderation.key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    // No file of the data directory holds any 64-byte window of the plaintext (the JPEG, or the blurred upload).
    const needles = [attachmentBytes, new Uint8Array(readFileSync(BLURRED))].map((b) => Buffer.from(b.subarray(4096, 4160)));
    for (const f of readdirSync(dataDir, { recursive: true }) as string[]) {
      const path = join(dataDir, f);
      if (!statSync(path).isFile()) continue;
      const raw = readFileSync(path);
      for (const n of needles) expect(raw.includes(n), `${f} holds plaintext`).toBe(false);
    }
    if (testBackend === "postgres") {
      const { databaseUrl, databaseSchema } = backendOptions(dataDir);
      const dump = Buffer.from(await dumpPostgresSchema(databaseUrl!, databaseSchema!), "latin1");
      for (const n of needles) expect(dump.includes(n), "PostgreSQL holds plaintext").toBe(false);
    }
    // With the key (docs/known-images.md format): AES-256-GCM, AAD "safelight-evidence-v1:<id>", tag appended.
    const [row] = await queryTestStore<{ evidence_id: string; nonce: Buffer; ciphertext: Buffer }>(dataDir, "SELECT evidence_id, nonce, ciphertext FROM evidence WHERE report_id = ?", [flaggedReportId]);
    if (row === undefined) throw new Error("no evidence row for the flagged report");
    const key = Buffer.from(readFileSync(keyFile, "utf8").trim(), "hex");
    const d = createDecipheriv("aes-256-gcm", key, row.nonce);
    d.setAAD(Buffer.from(`safelight-evidence-v1:${row.evidence_id}`));
    d.setAuthTag(row.ciphertext.subarray(-16));
    const plain = Buffer.concat([d.update(row.ciphertext.subarray(0, -16)), d.final()]);
    expect(plain.equals(Buffer.from(attachmentBytes))).toBe(true);
    // A wrong key fails the tag.
    const wrong = createDecipheriv("aes-256-gcm", Buffer.alloc(32, 7), row.nonce);
    wrong.setAAD(Buffer.from(`safelight-evidence-v1:${row.evidence_id}`));
    wrong.setAuthTag(row.ciphertext.subarray(-16));
    expect(() => Buffer.concat([wrong.update(row.ciphertext.subarray(0, -16)), wrong.final()])).toThrow();
  });

  it("group pictures: members set and see them, others cannot; a listed image is refused", async () => {
    const groupId = (await bob.history()).find((m) => m.text === "hi")!.groupId;
    const carol = await client(env, "carol");
    const png = new Uint8Array(readFileSync(UNRELATED));
    expect((await http(env, "carol", "PUT", `/v1/groups/${groupId}/picture`, png, "image/png")).status).toBe(403);
    expect((await http(env, "bob", "PUT", `/v1/groups/${groupId}/picture`, new Uint8Array(readFileSync(BLURRED)), "image/jpeg")).status).toBe(422);
    expect((await http(env, "alice", "GET", `/v1/groups/${groupId}/picture`)).status).toBe(404);
    expect((await http(env, "bob", "PUT", `/v1/groups/${groupId}/picture`, png, "image/png")).status).toBe(200);
    const got = await http(env, "alice", "GET", `/v1/groups/${groupId}/picture`);
    expect(Buffer.from(got.bytes).equals(Buffer.from(png))).toBe(true);
    expect((await http(env, "carol", "GET", `/v1/groups/${groupId}/picture`)).status).toBe(403);
    void carol;
  });

  it("regression (endpoint fuzz): an upload that is not an image is refused with 415 and stores nothing; the previous picture stays served", async () => {
    const groupId = (await bob.history()).find((m) => m.text === "hi")!.groupId;
    const png = new Uint8Array(readFileSync(UNRELATED)); // bob's picture and the group's, from the tests above
    const garbage = new TextEncoder().encode("not an image");
    const pictureRows = async (ownerId: string) => Number((await queryTestStore<{ n: number | string }>(join(env.dir, "server"), "SELECT COUNT(*) AS n FROM pictures WHERE owner_id = ?", [ownerId]))[0]!.n);
    for (const [put, get] of [
      ["/v1/profile/picture", `/v1/accounts/${await accountId(env, "bob")}/picture`],
      [`/v1/groups/${groupId}/picture`, `/v1/groups/${groupId}/picture`],
    ] as const) {
      const r = await http(env, "bob", "PUT", put, garbage, "image/png");
      expect(r.status, put).toBe(415);
      expect(r.json.error.code).toBe("SL_ERR_UNSUPPORTED_MEDIA_TYPE");
      const got = await http(env, "alice", "GET", get);
      expect(got.status, get).toBe(200);
      expect(Buffer.from(got.bytes).equals(Buffer.from(png)), get).toBe(true);
    }
    // An owner with no picture gets no row either.
    const ada = await accountId(env, "ada");
    expect(await pictureRows(ada)).toBe(0);
    expect((await http(env, "ada", "PUT", "/v1/profile/picture", garbage, "application/octet-stream")).status).toBe(415);
    expect(await pictureRows(ada)).toBe(0);
    expect((await http(env, "alice", "GET", `/v1/accounts/${ada}/picture`)).status).toBe(404);
  });

  it("retiring and replacing lists changes matching and the digest; transparency figures count it all", async () => {
    const before = (await (await fetch(new URL("/v1/hash-lists/digest", env.server.url))).json()).root;
    const rep = await http(env, "ada", "PUT", `/v1/admin/hash-lists/${listId}`, { name: "test list v2", sourceOrg: "Test Org", threshold: 8, csv: `${origHex}\n` });
    expect(rep.status).toBe(200);
    expect(rep.json.list).toMatchObject({ replaces: listId, threshold: 8, hashCount: 1 });
    const lists = (await http(env, "ada", "GET", "/v1/admin/hash-lists")).json.lists;
    expect(lists.find((l: any) => l.listId === listId)).toMatchObject({ status: "retired" });
    const after = (await (await fetch(new URL("/v1/hash-lists/digest", env.server.url))).json()).root;
    expect(after).not.toBe(before);
    // Threshold 8: the resized copy (16 bits away) now passes, the blurred one (4 bits) still not.
    expect((await http(env, "alice", "PUT", "/v1/profile/picture", new Uint8Array(readFileSync(RESIZED)), "image/jpeg")).status).toBe(200);
    expect((await http(env, "alice", "PUT", "/v1/profile/picture", new Uint8Array(readFileSync(BLURRED)), "image/jpeg")).status).toBe(422);
    // After the retirement, nothing matches.
    expect((await http(env, "ada", "POST", `/v1/admin/hash-lists/${rep.json.list.listId}/retire`)).status).toBe(200);
    expect((await http(env, "alice", "PUT", "/v1/profile/picture", new Uint8Array(readFileSync(BLURRED)), "image/jpeg")).status).toBe(200);

    expect((await http(env, "mo", "GET", "/v1/admin/transparency")).status).toBe(403);
    const t = await http(env, "ada", "GET", "/v1/admin/transparency?period=day");
    expect(t.status).toBe(200);
    const total = (k: string) => t.json.periods.reduce((n: number, p: any) => n + (p[k] ?? 0), 0);
    expect(total("knownImageMatches")).toBe(5); // 2 refused uploads, 1 group picture, 1 flagged report, 1 refused after replacement
    expect(total("blockedUploads")).toBe(4);
    expect(total("flaggedReports")).toBe(1);
    expect(total("userReports")).toBe(2);
    expect(total("escalations")).toBe(1);
    expect(total("authorityReports")).toBe(1);
    expect(t.json.hashLists).toMatchObject({ active: 0, retired: 2 });
  });
});

describe("dihedral matching", () => {
  // A mirrored and a rotated copy of the listed image: PDQ hashes them far from the original, but one of
  // their 8 dihedral hashes is the original's.
  const copies = async () => ({
    mirrored: new Uint8Array(await sharp(ORIG).flop().jpeg().toBuffer()),
    rotated: new Uint8Array(await sharp(ORIG).rotate(90).jpeg().toBuffer()),
  });

  async function serverWithList(options: Record<string, unknown>): Promise<Env> {
    const env = await boot(options);
    await Promise.all(["alice", "ada", "mo"].map((n) => client(env, n)));
    expect(await setAccountRole(storageTarget(join(env.dir, "server")), "ada", "admin")).toBe(true);
    expect(await setAccountRole(storageTarget(join(env.dir, "server")), "mo", "moderator")).toBe(true);
    const csv = `hash,id,label\n${origHex},test-0001,test-image\n`;
    expect((await http(env, "ada", "POST", "/v1/admin/hash-lists", { name: "test list", sourceOrg: "Test Org", threshold: 31, csv })).status).toBe(201);
    return env;
  }

  async function close(env: Env): Promise<void> {
    await env.server.close();
    for (const s of env.stores.values()) await s.close?.();
    rmSync(env.dir, { recursive: true, force: true });
  }

  it("refuses mirrored and rotated copies of a listed image, and the evidence names the symmetry", async () => {
    const env = await serverWithList({});
    for (const [what, bytes] of Object.entries(await copies())) {
      const r = await http(env, "alice", "PUT", "/v1/profile/picture", bytes, "image/jpeg");
      expect(r.status, what).toBe(422);
    }
    const reports = (await http(env, "mo", "GET", "/v1/mod/reports")).json.reports;
    expect(reports).toHaveLength(2);
    const transforms = [];
    for (const report of reports) {
      const detail = await http(env, "mo", "GET", `/v1/mod/reports/${report.reportId}`);
      const match = detail.json.evidence[0].matches[0];
      expect(match).toMatchObject({ entryId: "test-0001" });
      expect(match.distance).toBeLessThanOrEqual(31);
      transforms.push(match.transform);
    }
    // The mirror and the quarter turn are different symmetries, neither the image as it is.
    expect(new Set(transforms).size).toBe(2);
    for (const t of transforms) expect(["rot90", "rot180", "rot270", "flipx", "flipy", "flipp", "flipm"]).toContain(t);
    // Escalated, the authority report says so too, and still validates against the published schema.
    expect((await http(env, "mo", "POST", `/v1/mod/reports/${reports[0].reportId}/decision`, { action: "escalate", note: "mirrored copy" })).status).toBe(200);
    const doc = JSON.parse(readFileSync(join(env.dir, "server", "cybertip", `${reports[0].reportId}.json`), "utf8"));
    const schema = JSON.parse(readFileSync(join(repo, "docs", "cybertip-report.schema.json"), "utf8"));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(transforms).toContain(doc.uploadedFiles[0].matches[0].transform);
    await close(env);
  });

  it("with matchDihedral off, the same copies pass (only the image as it is is matched)", async () => {
    const env = await serverWithList({ matchDihedral: false });
    for (const [what, bytes] of Object.entries(await copies())) {
      expect((await http(env, "alice", "PUT", "/v1/profile/picture", bytes, "image/jpeg")).status, what).toBe(200);
    }
    expect((await http(env, "alice", "PUT", "/v1/profile/picture", new Uint8Array(readFileSync(ORIG)), "image/jpeg")).status).toBe(422);
    await close(env);
  });
});

describe("evidence retention", () => {
  it("4. evidence is deleted after the retention period, and the deletion is in the custody log", async () => {
    const env = await boot({ evidenceRetentionMs: 1500, sweepIntervalMs: 200 });
    try {
      await Promise.all(["eve", "ada"].map((n) => client(env, n)));
      await setAccountRole(storageTarget(join(env.dir, "server")), "ada", "admin");
      expect((await http(env, "ada", "POST", "/v1/admin/hash-lists", { name: "l", sourceOrg: "o", csv: `${origHex}\n` })).status).toBe(201);
      expect((await http(env, "eve", "PUT", "/v1/profile/picture", new Uint8Array(readFileSync(BLURRED)), "image/jpeg")).status).toBe(422);
      const count = async () => Number((await queryTestStore<{ n: number | string }>(join(env.dir, "server"), "SELECT COUNT(*) AS n FROM evidence"))[0]!.n);
      expect(await count()).toBe(1);
      const deadline = Date.now() + 10_000;
      while ((await count()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await count()).toBe(0);
      await setAccountRole(storageTarget(join(env.dir, "server")), "ada", "admin");
      const audit = await http(env, "ada", "GET", "/v1/mod/audit?limit=100");
      expect(audit.json.entries.find((e: any) => e.action === "evidence.delete")).toMatchObject({ actorAccountId: "system" });
      expect(audit.json.intact).toBe(true);
    } finally {
      await env.server.close();
      rmSync(env.dir, { recursive: true, force: true });
    }
  });
});

describe("a slow check", () => {
  it("answers 202 pending and shows the picture only once the check passed", async () => {
    const env = await boot({ pictureCheckWaitMs: 1 });
    try {
      await client(env, "pat");
      const bytes = new Uint8Array(readFileSync(UNRELATED)); // 1432x812 PNG: its check takes longer than 1 ms
      const r = await http(env, "pat", "PUT", "/v1/profile/picture", bytes, "image/png");
      expect(r.status).toBe(202);
      expect(r.json).toEqual({ status: "pending" });
      const me = await accountId(env, "pat");
      expect((await http(env, "pat", "GET", `/v1/accounts/${me}/picture`)).status).toBe(404);
      const deadline = Date.now() + 10_000;
      let status = 404;
      while (status === 404 && Date.now() < deadline) {
        await new Promise((done) => setTimeout(done, 50));
        status = (await http(env, "pat", "GET", `/v1/accounts/${me}/picture`)).status;
      }
      expect(status).toBe(200);
    } finally {
      await env.server.close();
      rmSync(env.dir, { recursive: true, force: true });
    }
  });
});

describe("Merkle root", () => {
  it("the iterative root equals RFC 6962's recursive definition for 0..40 leaves", () => {
    const leaves = Array.from({ length: 40 }, (_, i) => Buffer.alloc(32, i));
    for (let n = 0; n <= 40; n++) expect(merkleRoot(leaves.slice(0, n)).equals(merkleRootByTree(leaves.slice(0, n)))).toBe(true);
  });
});

/** The root by protocol's pure-JS merkleTree (@noble/hashes), SHA-256("") for no leaves. */
function merkleRootByTree(leaves: readonly Uint8Array[]): Buffer {
  return leaves.length === 0 ? createHash("sha256").digest() : Buffer.from(merkleTree(leaves).root);
}
