/**
 * Known-image detection in the console, end to end (docs/known-images.md): a real server process and the
 * real CLI. Admin hash-list commands, a refused and an accepted profile picture, a reported attachment
 * flagged, escalation to a CyberTipline-style file, and the transparency figures.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToHex } from "@safelight/pdq";
import { hashFile } from "@safelight/pdq/node";
import { cleanup, ok, run, ServerProcess, syncJson, tempDir } from "./harness.js";

const repo = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..");
const vectors = process.env.SAFELIGHT_VECTORS ? resolve(process.env.SAFELIGHT_VECTORS) : resolve(repo, "../shared/vectors");
const image = (...p: string[]) => join(vectors, "pdq", "images", ...p);

let profiles: string;
let data: string;
let server: ServerProcess;
const p = (name: string) => join(profiles, name);

beforeAll(async () => {
  profiles = tempDir("known-profiles");
  data = tempDir("known-data");
  server = new ServerProcess(data);
  await server.start();
  for (const name of ["alice", "bob", "ada", "mo"]) {
    await ok(["--profile", p(name), "register", "--server", server.url, "--name", name, "--birthdate", "1990-01-01"]);
  }
  expect(await ok(["admin", "grant-admin", "ada", "--data", data])).toContain("ada is now an admin");
  await ok(["admin", "grant-moderator", "mo", "--data", data]);
});

afterAll(async () => {
  await server.kill();
  cleanup(profiles, data);
});

describe("known images from the console", () => {
  let listId: string;

  it("an admin imports a list; others cannot", async () => {
    const orig = hashToHex((await hashFile(image("bridge-mods", "aaa-orig.jpg"))).hash);
    const csv = join(profiles, "list.csv");
    writeFileSync(csv, `hash,id,label\n${orig},t-1,test\n`);
    const denied = await run(["--profile", p("mo"), "admin", "hashlist", "import", csv, "--name", "t", "--source", "Test Org"]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("admin role required");
    const out = await ok(["--profile", p("ada"), "admin", "hashlist", "import", csv, "--name", "test list", "--source", "Test Org", "--threshold", "31"]);
    expect(out).toMatch(/\[active\] "test list" from Test Org: 1 hashes \(1 distinct\), threshold 31/);
    listId = out.split(" ")[0]!;
    expect(await ok(["--profile", p("ada"), "admin", "hashlist", "list"])).toContain(listId);
    expect(JSON.parse(await ok(["--profile", p("bob"), "admin", "hashlist", "digest"])).distinctHashes).toBe(1);
  });

  it("a blurred copy is refused as a profile picture, an unrelated one is set", async () => {
    const refused = await run(["--profile", p("alice"), "profile-picture", "set", image("bridge-mods", "blur-a-lot.jpg")]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("this image could not be accepted");
    expect(await ok(["--profile", p("bob"), "profile-picture", "set", image("misc-images", "c.png")])).toContain("profile picture set");
    const out = join(profiles, "bob.png");
    await ok(["--profile", p("alice"), "profile-picture", "get", "bob", "--out", out]);
    expect(readFileSync(out).equals(readFileSync(image("misc-images", "c.png")))).toBe(true);
    expect((await run(["--profile", p("bob"), "profile-picture", "get", "alice", "--out", join(profiles, "x")])).code).toBe(1);
  });

  it("a reported attachment is flagged; escalation writes the authority report; figures count it", async () => {
    await ok(["--profile", p("alice"), "send", "bob", "look", "--file", image("bridge-mods", "shrink-a-lot.jpg")]);
    const msg = (await syncJson(p("bob"))).find((m) => m.text === "look")!;
    await ok(["--profile", p("bob"), "accept", "alice"]); // a first contact's attachments come once accepted
    const reported = await ok(["--profile", p("bob"), "report", msg.id, "--reason", "child_sexual_exploitation", "--attach"]);
    const reportId = /reported: (\S+)/.exec(reported)![1]!;
    expect(reported).toContain("1 attachment revealed");

    const detections = await ok(["--profile", p("mo"), "mod", "detections"]);
    expect(detections).toMatch(new RegExp(`${reportId} .*\\[high\\] report-attachment MATCHED`));
    expect(detections).toMatch(/\[high\] profile-picture MATCHED/);
    const evidence = JSON.parse(await ok(["--profile", p("mo"), "mod", "evidence", reportId]));
    expect(evidence.evidence[0].matches[0]).toMatchObject({ listId, sourceOrg: "Test Org" });

    await ok(["--profile", p("mo"), "mod", "decide", reportId, "escalate", "--note", "known image"]);
    const file = join(data, "cybertip", `${reportId}.json`);
    expect(existsSync(file) && existsSync(join(data, "cybertip", `${reportId}.xml`))).toBe(true);
    expect(JSON.parse(readFileSync(file, "utf8")).uploadedFiles[0].hashes.sha256).toMatch(/^[0-9a-f]{64}$/);

    const t = JSON.parse(await ok(["--profile", p("ada"), "admin", "transparency", "--period", "day", "--json"]));
    const total = (k: string) => t.periods.reduce((n: number, x: Record<string, number>) => n + (x[k] ?? 0), 0);
    expect([total("blockedUploads"), total("flaggedReports"), total("escalations"), total("authorityReports")]).toEqual([1, 1, 1, 1]);
    expect(await ok(["--profile", p("ada"), "admin", "transparency"])).toMatch(/hash lists: 1 active \(1 hashes\), 0 retired/);

    expect(await ok(["--profile", p("ada"), "admin", "hashlist", "retire", listId])).toContain("[retired]");
    expect(await ok(["--profile", p("alice"), "profile-picture", "set", image("bridge-mods", "blur-a-lot.jpg")])).toContain("profile picture set");
  });
});
