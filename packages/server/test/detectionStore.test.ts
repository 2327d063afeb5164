/**
 * The DetectionStore contract (storage/detection.ts) on both backends, each test on a fresh database
 * (its own SQLite directory or PostgreSQL schema), plus the hash-list cache across two nodes: a list
 * imported through node A's storage is matched by node B once the "hash-lists" signal reached it.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { hashFromHex } from "@safelight/pdq";
import { HashListService } from "../src/detection/hashLists.js";
import { DetectionService, type DetectionConfig } from "../src/detection/service.js";
import { NatsNotifier } from "../src/realtime/natsNotifier.js";
import type { Notifier } from "../src/realtime/notifier.js";
import type { EvidenceRecord, HashListRecord, ListEntryRow } from "../src/storage/detection.js";
import { openPostgresStorage } from "../src/storage/postgres/storage.js";
import { openSqliteStorage } from "../src/storage/sqlite.js";
import type { Storage } from "../src/storage/types.js";
import { natsTestPrefix, testNatsUrl } from "./clusterServices.js";
import { pgTestSchema, requirePostgres, testDatabaseUrl } from "./pgTestSchema.js";

const now = 1_700_000_000_000;
let n = 0;
const uid = (p: string) => `${p}${++n}`;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function list(overrides: Partial<HashListRecord> = {}): HashListRecord {
  return {
    listId: uid("list"),
    name: "national list",
    sourceOrg: "org",
    threshold: 31,
    status: "active",
    hashCount: 0,
    distinctCount: 0,
    importedBy: "admin",
    importedAt: now,
    retiredBy: undefined,
    retiredAt: undefined,
    replaces: undefined,
    ...overrides,
  };
}

const entries = (count: number): ListEntryRow[] =>
  Array.from({ length: count }, (_, i) => ({ hash: new Uint8Array(randomBytes(32)), entryId: i % 3 === 0 ? `e${i}` : undefined, label: i % 5 === 0 ? `label ${i}` : undefined }));

function evidence(overrides: Partial<EvidenceRecord> = {}): EvidenceRecord {
  return {
    evidenceId: uid("ev"),
    kind: "report-attachment",
    subjectAccountId: "subject",
    reportId: undefined,
    name: "a.jpg",
    contentType: "image/jpeg",
    size: 1234,
    sha256: new Uint8Array(randomBytes(32)),
    pdq: "ab".repeat(32),
    quality: 100,
    matches: JSON.stringify([{ listId: "l", distance: 3 }]),
    nonce: new Uint8Array(randomBytes(12)),
    ciphertext: new Uint8Array(randomBytes(64)),
    createdAt: now,
    expiresAt: now + 1000,
    viewedByEsp: false,
    ...overrides,
  };
}

function describeDetectionContract(label: string, open: () => Promise<Storage>): void {
  describe(`DetectionStore contract: ${label}`, () => {
    let storage: Storage | undefined;
    const fresh = async () => (storage = await open());
    afterEach(async () => {
      await storage?.close();
      storage = undefined;
    });

    it("stores a list with its entries in order and reads them back", async () => {
      const { detection: d } = await fresh();
      const rows = entries(7);
      const l = list({ hashCount: 7, distinctCount: 7 });
      expect(await d.insertList(l, rows)).toBe(true);
      expect(await d.getList(l.listId)).toEqual(l);
      expect(await d.getList("nope")).toBeUndefined();
      expect(hex(await d.listHashes(l.listId))).toBe(rows.map((r) => hex(r.hash)).join(""));
      expect(await d.entryAt(l.listId, 0)).toEqual({ entryId: "e0", label: "label 0" });
      expect(await d.entryAt(l.listId, 1)).toEqual({ entryId: undefined, label: undefined });
      expect(await d.entryAt(l.listId, 7)).toBeUndefined();
      const empty = list();
      await d.insertList(empty, []);
      expect((await d.listHashes(empty.listId)).length).toBe(0);
    });

    it("imports a large list in batches and reads it back in order", async () => {
      const { detection: d } = await fresh();
      // Past several insert batches and more than one read page.
      const rows = entries(70_001);
      const l = list({ hashCount: rows.length, distinctCount: rows.length });
      await d.insertList(l, rows);
      const back = await d.listHashes(l.listId);
      expect(back.length).toBe(rows.length * 32);
      expect(back.equals(Buffer.concat(rows.map((r) => r.hash)))).toBe(true);
      expect(await d.entryAt(l.listId, 69_999)).toEqual({ entryId: "e69999", label: undefined });
    });

    it("retires a list once; a replacement retires the old list in its transaction, and only an active one", async () => {
      const { detection: d } = await fresh();
      const old = list();
      await d.insertList(old, entries(2));
      const replacement = list({ replaces: old.listId, importedBy: "ada", importedAt: now + 5 });
      expect(await d.insertList(replacement, entries(3))).toBe(true);
      expect(await d.getList(old.listId)).toMatchObject({ status: "retired", retiredBy: "ada", retiredAt: now + 5 });
      // The old list is retired now: a second replacement of it stores nothing, not even its entries.
      const late = list({ replaces: old.listId });
      expect(await d.insertList(late, entries(2))).toBe(false);
      expect(await d.getList(late.listId)).toBeUndefined();
      expect((await d.listHashes(late.listId)).length).toBe(0);
      expect(await d.retireList(replacement.listId, "bob", now + 9)).toBe(true);
      expect(await d.retireList(replacement.listId, "bob", now + 9)).toBe(false);
      expect(await d.retireList("nope", "bob", now)).toBe(false);
      expect((await d.lists()).map((l) => [l.listId, l.status])).toEqual([
        [old.listId, "retired"],
        [replacement.listId, "retired"],
      ]);
      const active = list({ importedAt: now + 10 });
      await d.insertList(active, []);
      expect((await d.lists("active")).map((l) => l.listId)).toEqual([active.listId]);
      expect((await d.lists("retired")).map((l) => l.listId)).toEqual([old.listId, replacement.listId]);
    });

    it("keeps a picture's bytes only after an ok verdict for the bytes that were checked", async () => {
      const { detection: d } = await fresh();
      const sha = new Uint8Array(randomBytes(32));
      const data = new Uint8Array(randomBytes(100));
      const pending = { ownerKind: "account" as const, ownerId: "a1", uploadedBy: "a1", status: "pending" as const, contentType: "image/png", data: undefined, sha256: sha, pdq: undefined, createdAt: now };
      await d.putPicture(pending);
      expect(await d.getPicture("account", "a1")).toEqual(pending);
      // A verdict about other bytes (a newer upload replaced them) changes nothing.
      await d.setPictureStatus("account", "a1", new Uint8Array(32), "ok", "cd".repeat(32), now + 1, data);
      expect((await d.getPicture("account", "a1"))?.status).toBe("pending");
      await d.setPictureStatus("account", "a1", sha, "refused", "cd".repeat(32), now + 1, data);
      expect(await d.getPicture("account", "a1")).toMatchObject({ status: "refused", data: undefined, pdq: "cd".repeat(32) });
      await d.setPictureStatus("account", "a1", sha, "ok", "cd".repeat(32), now + 2, data);
      expect(await d.getPicture("account", "a1")).toMatchObject({ status: "ok", data, contentType: "image/png" });
      // A new upload starts over as pending, without the old bytes.
      await d.putPicture({ ...pending, sha256: new Uint8Array(randomBytes(32)) });
      expect(await d.getPicture("account", "a1")).toMatchObject({ status: "pending", data: undefined });
      expect(await d.getPicture("group", "a1")).toBeUndefined();
    });

    it("preserves evidence, attaches it to a report, records a view, and deletes it once when it expires", async () => {
      const { detection: d } = await fresh();
      const first = evidence({ reportId: "r1" });
      const second = evidence({ createdAt: now + 1, pdq: undefined, quality: undefined, expiresAt: now + 5000 });
      await d.putEvidence(first);
      await d.putEvidence(second);
      expect(await d.getEvidence(first.evidenceId)).toEqual(first);
      await d.attachEvidence(second.evidenceId, "r1");
      await d.markViewed(second.evidenceId);
      expect(await d.evidenceForReport("r1")).toEqual([first, { ...second, reportId: "r1", viewedByEsp: true }]);
      expect(await d.evidenceForReport("r2")).toEqual([]);
      expect(await d.takeExpiredEvidence(now + 999)).toEqual([]);
      expect(await d.takeExpiredEvidence(now + 1000)).toEqual([{ evidenceId: first.evidenceId, sha256: first.sha256 }]);
      expect(await d.takeExpiredEvidence(now + 1000)).toEqual([]);
      expect(await d.getEvidence(first.evidenceId)).toBeUndefined();
      expect((await d.evidenceForReport("r1")).map((e) => e.evidenceId)).toEqual([second.evidenceId]);
    });

    it("queues detection items (an update raises the flag, keeps the source) and records authority reports", async () => {
      const { detection: d } = await fresh();
      await d.putDetectionItem({ reportId: "r1", priority: "normal", source: "report-attachment", flagged: false, createdAt: now });
      await d.putDetectionItem({ reportId: "r2", priority: "high", source: "profile-picture", flagged: true, createdAt: now + 1 });
      await d.putDetectionItem({ reportId: "r1", priority: "high", source: "other", flagged: true, createdAt: now + 2 });
      expect(await d.detectionItem("r1")).toEqual({ reportId: "r1", priority: "high", source: "report-attachment", flagged: true, createdAt: now });
      expect(await d.detectionItem("r3")).toBeUndefined();
      expect((await d.detectionItems()).map((i) => i.reportId)).toEqual(["r2", "r1"]);
      const report = { reportId: "r1", producedBy: "mod", producedAt: now, jsonPath: "/x.json", xmlPath: "/x.xml", jsonSha256: new Uint8Array(32) };
      await d.putAuthorityReport(report);
      await d.putAuthorityReport({ ...report, producedBy: "mod2", producedAt: now + 1 });
    });

    it("reads the audit log by time for the transparency figures", async () => {
      const s = await fresh();
      for (const at of [now, now + 10, now + 20]) await s.moderation.audit({ at, actorAccountId: "a", action: `act${at - now}`, subject: "s", detail: "{}" });
      expect((await s.moderation.auditBetween(now + 10, now + 21)).map((e) => [e.action, e.at])).toEqual([
        ["act10", now + 10],
        ["act20", now + 20],
      ]);
      expect(await s.moderation.auditBetween(now + 21, now + 99)).toEqual([]);
    });

    it("HashListService: matches imported lists with their entries, drops retired ones, and a new service loads what is active", async () => {
      const s = await fresh();
      const changed: string[] = [];
      const lists = new HashListService(s.detection, (id) => changed.push(id));
      const rows = entries(50);
      const a = await lists.importRows({ name: "a", sourceOrg: "org", threshold: 0 }, rows, "admin", now);
      const b = await lists.importRows({ name: "b", sourceOrg: "org", threshold: 0 }, rows.slice(0, 1), "admin", now + 1);
      expect(changed).toEqual([a.listId, b.listId]);
      const probe = hashFromHex(hex(rows[0]!.hash));
      expect((await lists.match(probe)).map((m) => [m.listName, m.entryId, m.label, m.distance])).toEqual([
        ["a", "e0", "label 0", 0],
        ["b", "e0", "label 0", 0],
      ]);
      expect(await lists.retireList(b.listId, "admin")).toBe(true);
      expect(await lists.retireList(b.listId, "admin")).toBe(false);
      expect(changed).toEqual([a.listId, b.listId, b.listId]);
      expect((await lists.match(probe)).map((m) => m.listId)).toEqual([a.listId]);
      const elsewhere = new HashListService(s.detection);
      await elsewhere.reload();
      expect(elsewhere.active.map((l) => l.listId)).toEqual([a.listId]);
      expect(elsewhere.digest().root).toBe(lists.digest().root);
      expect((await elsewhere.match(hashFromHex(hex(rows[49]!.hash)))).map((m) => m.hash)).toEqual([hex(rows[49]!.hash)]);
    });
  });
}

describeDetectionContract("sqlite", async () => openSqliteStorage(mkdtempSync(join(tmpdir(), "safelight-detection-"))));
describeDetectionContract("postgres", async () => {
  await requirePostgres();
  return openPostgresStorage(testDatabaseUrl, { schema: pgTestSchema() });
});

describe("hash lists across two nodes (PostgreSQL + NATS)", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function node(schema: string, prefix: string, dataDir: string): Promise<DetectionService> {
    const storage = await openPostgresStorage(testDatabaseUrl, { schema });
    const notifier: Notifier = await NatsNotifier.open(storage, { url: testNatsUrl, prefix });
    const config: DetectionConfig = { dataDir, evidenceRetentionMs: 60_000, maxPicturePixels: 1e7, matchDihedral: false, checkConcurrency: 1, espName: "test" };
    const service = await DetectionService.open(config, storage, notifier);
    cleanup.push(async () => {
      service.close();
      await notifier.close();
      await storage.close();
    });
    return service;
  }

  it("a list imported on node A is matched on node B after the signal, and a retirement on B reaches A", async () => {
    await requirePostgres();
    const schema = pgTestSchema();
    const prefix = natsTestPrefix();
    const dataDir = mkdtempSync(join(tmpdir(), "safelight-detection-nodes-"));
    const a = await node(schema, prefix, dataDir);
    const b = await node(schema, prefix, dataDir);
    const rows = entries(1000);
    const probe = hashFromHex(hex(rows[3]!.hash));
    expect(await b.matcher.matchHash(probe)).toEqual([]);

    const imported = await a.lists.importRows({ name: "national", sourceOrg: "org", threshold: 8 }, rows, "admin");
    // B's only way to learn of it within the wait is the signal: its timed reload is a minute away.
    await vi.waitFor(async () => expect((await b.matcher.matchHash(probe)).map((m) => [m.listId, m.entryId, m.distance])).toEqual([[imported.listId, "e3", 0]]), { timeout: 5000 });
    expect(b.lists.digest().root).toBe(a.lists.digest().root);

    expect(await b.lists.retireList(imported.listId, "admin")).toBe(true);
    await vi.waitFor(async () => expect(await a.matcher.matchHash(probe)).toEqual([]), { timeout: 5000 });
    expect(a.lists.active).toEqual([]);
  });

  it("two nodes replacing the same list at once: one replacement wins, the other stores nothing", async () => {
    await requirePostgres();
    const schema = pgTestSchema();
    const prefix = natsTestPrefix();
    const dataDir = mkdtempSync(join(tmpdir(), "safelight-detection-nodes-"));
    const [a, b] = [await node(schema, prefix, dataDir), await node(schema, prefix, dataDir)];
    const old = await a.lists.importRows({ name: "v1", sourceOrg: "org" }, entries(500), "admin");
    const outcomes = await Promise.allSettled([
      a.lists.importRows({ name: "v2 from a", sourceOrg: "org" }, entries(5000), "admin", Date.now(), old.listId),
      b.lists.importRows({ name: "v2 from b", sourceOrg: "org" }, entries(5000), "admin", Date.now(), old.listId),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(outcomes.find((o) => o.status === "rejected")).toMatchObject({ reason: { name: "HashListError" } });
    const active = await a.store.lists("active");
    expect(active).toHaveLength(1);
    expect(active[0]).toMatchObject({ replaces: old.listId, hashCount: 5000 });
    await vi.waitFor(() => expect([a.lists.active, b.lists.active].map((l) => l.map((r) => r.listId))).toEqual([[active[0]!.listId], [active[0]!.listId]]), { timeout: 5000 });
  });
});
