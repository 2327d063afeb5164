/**
 * The SDK declares what /v1/mod/* returns (src/transport/moderationTypes.ts) and consoles build on those
 * types alone. Every moderation call here goes through the SDK to the real server, and each object in the
 * answers must carry exactly the keys its type declares: a field the server adds or drops, or a type that
 * drifts, fails here (the shapes below are checked by the compiler against the types).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setAccountRole, startServer } from "@safelight/server";
import { backendOptions, storageTarget } from "@safelight/server/testing";
import {
  SafelightClient,
  type AccountFile,
  type AuditEntry,
  type Decision,
  type DetectionFlag,
  type EvidenceItem,
  type EvidenceMatch,
  type FileRef,
  type NamedAccount,
  type ReportDetail,
  type ReportedMessage,
  type ReportSummary,
} from "@safelight/client";
import { SqliteClientStore } from "@safelight/client/node";
import { nodeCryptoProvider } from "@safelight/protocol/node";

/** Each key of T, marked as the type has it; the compiler rejects a missing, extra or mis-marked key. */
type Shape<T> = { readonly [K in keyof T]-?: undefined extends T[K] ? "optional" : "required" };

function expectShape<T>(value: unknown, shape: Shape<T>, where: string): void {
  expect(typeof value, where).toBe("object");
  const sent = Object.keys(value as object);
  const declared = shape as Record<string, string>;
  expect(sent.filter((k) => !(k in declared)), `${where}: keys the SDK does not declare`).toEqual([]);
  const missing = Object.keys(declared).filter((k) => declared[k] === "required" && !sent.includes(k));
  expect(missing, `${where}: declared keys the server did not send`).toEqual([]);
}

const named: Shape<NamedAccount> = { accountId: "required", name: "required" };
const summary: Shape<ReportSummary> = {
  reportId: "required",
  reason: "required",
  status: "required",
  createdAt: "required",
  note: "required",
  groupId: "required",
  messageCount: "required",
  priority: "required",
  reporter: "required",
  reported: "required",
};
// The summary's keys plus these; written out, because a spread escapes the compiler's extra-key check.
const detail: Shape<ReportDetail> = { ...summary, detection: "required", evidence: "required", messages: "required" };
const message: Shape<ReportedMessage> = {
  messageId: "required",
  sender: "required",
  acceptedAt: "required",
  verified: "required",
  reported: "required",
  text: "required",
  files: "required",
};
const fileRef: Shape<FileRef> = { blobId: "required", key: "required", digest: "required", name: "required", size: "required", type: "required" };
const detection: Shape<DetectionFlag> = { reportId: "required", priority: "required", source: "required", flagged: "required", createdAt: "required" };
const evidence: Shape<EvidenceItem> = {
  evidenceId: "required",
  kind: "required",
  subjectAccountId: "required",
  reportId: "required",
  name: "required",
  contentType: "required",
  size: "required",
  sha256: "required",
  pdq: "required",
  matches: "required",
  createdAt: "required",
  expiresAt: "required",
  viewedByEsp: "required",
};
const match: Shape<EvidenceMatch> = {
  listId: "required",
  listName: "required",
  sourceOrg: "required",
  distance: "required",
  entryId: "optional",
  label: "optional",
  transform: "optional",
};
const decision: Shape<Decision> = {
  decisionId: "required",
  reportId: "optional",
  subjectAccountId: "required",
  moderatorAccountId: "required",
  action: "required",
  note: "required",
  createdAt: "required",
};
const accountFile: Shape<AccountFile> = { account: "required", reportsAgainst: "required", reportsBy: "required", decisions: "required" };
const accountRecord: Shape<AccountFile["account"]> = {
  accountId: "required",
  name: "required",
  createdAt: "required",
  devices: "required",
  role: "required",
  banned: "required",
};
const auditEntry: Shape<AuditEntry> = {
  seq: "required",
  at: "required",
  actorAccountId: "required",
  action: "required",
  subject: "required",
  detail: "required",
  hash: "required",
};

function expectSummary(s: ReportSummary, where: string, shape: Shape<ReportSummary> = summary): void {
  expectShape(s, shape, where);
  expectShape(s.reporter, named, `${where}.reporter`);
  expectShape(s.reported, named, `${where}.reported`);
}

/** A reference image of the PDQ vectors, read in place ($SAFELIGHT_VECTORS or <repo>/../shared/vectors). */
const repo = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const vectors = process.env.SAFELIGHT_VECTORS ? resolve(process.env.SAFELIGHT_VECTORS) : resolve(repo, "../shared/vectors");
const photo = readFileSync(join(vectors, "pdq", "images", "bridge-mods", "aaa-orig.jpg"));

let dir: string;
let server: { url: string; close(): Promise<void> };
let alice: SafelightClient;
let bob: SafelightClient;
let carol: SafelightClient;
/** Reported before the photo's hash was on a list, and after. */
let plainId: string;
let matchedId: string;

async function newClient(name: string): Promise<SafelightClient> {
  const client = new SafelightClient({ store: new SqliteClientStore(join(dir, `${name}.db`)), provider: nodeCryptoProvider });
  await client.register(server.url, name, "1990-05-05");
  return client;
}

/** Bob reports Alice's message `text`, revealing its photo (which gives the report evidence and a detection entry). */
async function reportPhoto(text: string): Promise<string> {
  const target = (await bob.history()).find((m) => m.text === text)!;
  const attachments = [{ messageId: target.id, name: "bridge.jpg", type: "image/jpeg", bytes: photo }];
  return (await bob.report(target.id, "harassment", { note: "see the photo", contextCount: 0, attachments })).reportId;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "safelight-mod-types-"));
  server = await startServer({ dataDir: join(dir, "server"), host: "127.0.0.1", port: 0, handleSignals: false, logger: false, ...backendOptions(join(dir, "server")) });
  [alice, bob, carol] = (await Promise.all(["alice", "bob", "carol"].map(newClient))) as [SafelightClient, SafelightClient, SafelightClient];
  await alice.sendText("bob", "hello");
  for (const text of ["look at this", "and again"]) await alice.sendText("bob", text, [{ name: "bridge.jpg", type: "image/jpeg", bytes: photo }]);
  await bob.sync();
  // Carol is an admin (which includes moderating): she puts the photo's PDQ hash, as the server computed
  // it for the first report's evidence, on a list, so the second report's evidence has a match.
  expect(await setAccountRole(storageTarget(join(dir, "server")), "carol", "admin")).toBe(true);
  plainId = await reportPhoto("look at this");
  const pdq = (await carol.knownImages.evidence(plainId)).evidence[0]!.pdq!;
  await carol.knownImages.importList({ name: "test list", sourceOrg: "Test Org", threshold: 31, csv: `hash,id,label\n${pdq},t-1,test\n` });
  matchedId = await reportPhoto("and again");
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the SDK's moderation types match the server's answers", () => {
  it("reports(): ReportSummary", async () => {
    const { reports } = await carol.moderation.reports("open");
    expect(reports.map((r) => r.reportId).sort()).toEqual([plainId, matchedId].sort());
    reports.forEach((r, i) => expectSummary(r, `reports[${i}]`));
    // The check itself catches drift either way.
    expect(() => expectShape({ ...reports[0], added: 1 }, summary, "planted")).toThrow(/does not declare/);
    const { note: _dropped, ...withoutNote } = reports[0]!;
    expect(() => expectShape(withoutNote, summary, "planted")).toThrow(/did not send/);
  });

  it("report(): ReportDetail with its messages, files, detection and evidence with list matches", async () => {
    for (const id of [plainId, matchedId]) {
      const r = await carol.moderation.report(id);
      expectSummary(r, "report", detail);
      expect(r.messages).toHaveLength(1);
      r.messages.forEach((m, i) => {
        expectShape(m, message, `messages[${i}]`);
        expectShape(m.sender, named, `messages[${i}].sender`);
        m.files.forEach((f, j) => expectShape(f, fileRef, `messages[${i}].files[${j}]`));
      });
      expect(r.messages[0]!.files).toHaveLength(1);
      expectShape(r.detection, detection, "detection");
      expect(r.evidence).toHaveLength(1);
      expectShape(r.evidence[0], evidence, "evidence[0]");
    }
    const matched = await carol.moderation.report(matchedId);
    expect(matched.priority).toBe("high");
    expect(matched.evidence[0]!.matches).toHaveLength(1);
    expectShape(matched.evidence[0]!.matches[0], match, "matches[0]");
  });

  it("decide() and account(): AccountFile with its decisions", async () => {
    const { decisionId } = await carol.moderation.decide(plainId, "warn", "first warning");
    const file = await carol.moderation.account("alice");
    expectShape(file, accountFile, "account");
    expectShape(file.account, accountRecord, "account.account");
    expect(file.reportsAgainst.map((r) => r.reportId).sort()).toEqual([plainId, matchedId].sort());
    file.reportsAgainst.forEach((r, i) => expectSummary(r, `reportsAgainst[${i}]`));
    expect(file.decisions.map((d) => d.decisionId)).toEqual([decisionId]);
    file.decisions.forEach((d, i) => expectShape(d, decision, `decisions[${i}]`));
    const byBob = await carol.moderation.account("bob");
    byBob.reportsBy.forEach((r, i) => expectSummary(r, `reportsBy[${i}]`));
    expect(byBob.reportsBy).toHaveLength(2);
  });

  it("knownImages.detections() and evidence(): DetectionFlag and EvidenceItem", async () => {
    const { items } = await carol.knownImages.detections();
    expect(items.map((d) => d.reportId).sort()).toEqual([plainId, matchedId].sort());
    items.forEach((d, i) => expectShape(d, detection, `detections[${i}]`));
    const found = await carol.knownImages.evidence(matchedId);
    expect(Object.keys(found).sort()).toEqual(["detection", "evidence"]);
    expectShape(found.detection, detection, "evidence.detection");
    expect(found.evidence).toHaveLength(1);
    found.evidence.forEach((e, i) => expectShape(e, evidence, `evidence[${i}]`));
  });

  it("audit(): AuditLog", async () => {
    const log = await carol.moderation.audit(50);
    expect(Object.keys(log).sort()).toEqual(["entries", "intact"]);
    expect(log.intact).toBe(true);
    expect(log.entries.length).toBeGreaterThan(0);
    log.entries.forEach((e, i) => expectShape(e, auditEntry, `entries[${i}]`));
  });
});
