/**
 * Child-safety rules (docs/safety.md) against the real SQLite schema: policy parsing, age bands, and the
 * risk rules over sliding windows, with explicit clocks. End-to-end behaviour is in
 * packages/cli/test/safety.test.ts.
 */
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "../src/errors.js";
import { InProcessNotifier } from "../src/realtime/notifier.js";
import { ageInYears, bandOf, DEFAULT_POLICY, resolvePolicy, type SafetyPolicy } from "../src/safety/policy.js";
import { SafetyService } from "../src/safety/service.js";
import type { SafetyStore } from "../src/storage/safety.js";
import { openSqliteStorage } from "../src/storage/sqlite.js";
import type { Storage } from "../src/storage/types.js";

const HOUR = 3600_000;
const T0 = Date.UTC(2026, 5, 1, 12);
const year = new Date(T0).getUTCFullYear();

let dir: string;
let db: Database.Database;
let storage: Storage;
let store: SafetyStore;

function account(id: string, birthdate: string, createdAt = T0 - 1000 * HOUR): string {
  db.prepare("INSERT INTO accounts (account_id, name, birthdate, created_at) VALUES (?, ?, ?, ?)").run(id, id, birthdate, createdAt);
  db.prepare("INSERT INTO devices (device_id, account_id, signature_key, created_at) VALUES (?, ?, ?, ?)").run(`${id}-d`, id, Buffer.from(id), createdAt);
  return id;
}
const adult = (id: string, createdAt?: number) => account(id, "1990-03-04", createdAt);
const teen = (id: string) => account(id, `${year - 15}-03-04`);
const dev = (accountId: string) => ({ accountId, deviceId: `${accountId}-d` });

function service(policy: Partial<SafetyPolicy>): SafetyService {
  return new SafetyService(store, resolvePolicy(policy), new InProcessNotifier());
}

async function code(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    if (err instanceof ApiError) return err.code;
    throw err;
  }
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "safelight-safety-"));
  storage = openSqliteStorage(dir); // runs the migrations
  db = new Database(join(dir, "safelight.db"));
  store = storage.safety;
});

afterEach(async () => {
  await storage.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("safety policy", () => {
  it("defaults, partial files merged over them, and bad fields named", async () => {
    expect(resolvePolicy(undefined)).toEqual(DEFAULT_POLICY);
    const p = resolvePolicy({ ages: { adultFrom: 16 }, adultToTeen: "request" });
    expect(p.ages).toEqual({ childUnder: 13, adultFrom: 16 });
    expect(p.adultToTeen).toBe("request");
    expect(p.rules).toEqual(DEFAULT_POLICY.rules);
    expect(() => resolvePolicy({ adultToTeen: "maybe" })).toThrow(/adultToTeen/);
    expect(() => resolvePolicy({ agez: {} })).toThrow(/agez is not a policy field/);
    expect(() => resolvePolicy({ rules: [{ name: "x", signal: "vibes", windowHours: 1, threshold: 1, actions: [] }] })).toThrow(
      /rules\[0\]\.signal/,
    );
    expect(() => resolvePolicy({ rules: [{ name: "x", signal: "reports-received", windowHours: 1, threshold: 1, actions: ["ban"] }] })).toThrow(
      /rules\[0\]\.actions/,
    );
  });

  it("SL-V101 age bands turn over on the birthday, with configurable thresholds", async () => {
    const birthday = Date.UTC(2026, 2, 4);
    expect(ageInYears("2013-03-04", birthday - 1)).toBe(12);
    expect(ageInYears("2013-03-04", birthday)).toBe(13);
    expect(bandOf(12, DEFAULT_POLICY)).toBe("child");
    expect(bandOf(13, DEFAULT_POLICY)).toBe("teen");
    expect(bandOf(17, DEFAULT_POLICY)).toBe("teen");
    expect(bandOf(18, DEFAULT_POLICY)).toBe("adult");
    expect(bandOf(16, resolvePolicy({ ages: { childUnder: 14, adultFrom: 16 } }))).toBe("adult");
    expect(await code(() => service({}).checkRegistration("2014-01-01", T0))).toBe("SL_ERR_AGE_RESTRICTED");
    expect(await code(() => service({ ages: { childUnder: 10, adultFrom: 18 } }).checkRegistration("2014-01-01", T0))).toBeUndefined();
  });
});

describe("risk rules over sliding windows", () => {
  it("SL-V102 distinct teens: the request over the threshold is refused, events outside the window do not count, a lift restarts the window", async () => {
    const s = service({
      adultToTeen: "request",
      rules: [{ name: "teens", signal: "distinct-teens-requested", windowHours: 24, threshold: 2, actions: ["restrict-teen-contact", "review"] }],
    });
    const a = adult("a");
    const [t1, t2, t3, t4] = [teen("t1"), teen("t2"), teen("t3"), teen("t4")];
    await s.beforeClaim(dev(a), t1, T0 - 30 * HOUR); // outside the window by the time of the next ones
    await s.beforeClaim(dev(a), t2, T0);
    await s.beforeClaim(dev(a), t3, T0 + HOUR);
    await s.beforeClaim(dev(a), t2, T0 + HOUR); // the same teen again is not a new one
    expect(await s.isRestricted(a, "restrict-teen-contact")).toBe(false);
    expect(await code(() => s.beforeClaim(dev(a), t4, T0 + 2 * HOUR))).toBe("SL_ERR_ACCOUNT_RESTRICTED");
    expect(await store.request(a, t4)).toBeUndefined();
    expect((await store.listActions(a, true, 10)).map((x) => x.action).sort()).toEqual(["restrict-teen-contact", "review"]);
    // Adults are still reachable; teens are not, until a moderator lifts it.
    await s.beforeClaim(dev(a), adult("b"), T0 + 2 * HOUR);
    expect(await code(() => s.beforeClaim(dev(a), t4, T0 + 3 * HOUR))).toBe("SL_ERR_ACCOUNT_RESTRICTED");
    expect(await s.lift(a, "moderator", T0 + 4 * HOUR)).toBe(2);
    await s.beforeClaim(dev(a), t4, T0 + 5 * HOUR);
    expect((await store.request(a, t4))?.status).toBe("pending");
    expect((await store.listActions(a, false, 10)).every((x) => x.liftedBy === "moderator")).toBe(true);
  });

  it("SL-V105 declines and blocks: rate-limits the sender once over threshold and rate", async () => {
    const s = service({
      rateLimitedRequestsPerDay: 1,
      rules: [{ name: "refused", signal: "requests-declined-or-blocked", windowHours: 24, threshold: 2, minRate: 0.5, actions: ["rate-limit"] }],
    });
    const spammer = adult("spammer");
    const victims = ["v1", "v2", "v3", "v4"].map((v) => adult(v));
    for (const v of victims) await s.beforeClaim(dev(spammer), v, T0);
    await s.decline(victims[0]!, spammer, T0 + 1);
    await s.block(victims[1]!, spammer, T0 + 2);
    expect(await s.isRestricted(spammer, "rate-limit")).toBe(false); // 2 is not more than 2
    await s.decline(victims[2]!, spammer, T0 + 3);
    expect(await s.isRestricted(spammer, "rate-limit")).toBe(true);
    // Already over today's allowance of new requests (4 today): refused; tomorrow one goes through.
    expect(await code(() => s.beforeClaim(dev(spammer), adult("w1"), T0 + HOUR))).toBe("SL_ERR_RATE_LIMITED");
    await s.beforeClaim(dev(spammer), adult("w2"), T0 + 25 * HOUR);
    expect(await code(() => s.beforeClaim(dev(spammer), adult("w3"), T0 + 26 * HOUR))).toBe("SL_ERR_RATE_LIMITED");
    // Retention: events older than every window go; the rate limit itself stays until lifted.
    expect(await s.sweep(T0 + 25 * HOUR)).toBe(7);
    expect(await store.countEvents(spammer, ["request"], 0, false)).toBe(1);
    expect(await s.isRestricted(spammer, "rate-limit")).toBe(true);
  });

  it("SL-V102 reports received (moderation tables) restrict contact with teens", async () => {
    const s = service({
      adultToTeen: "request",
      rules: [{ name: "reported", signal: "reports-received", windowHours: 24, threshold: 1, actions: ["restrict-teen-contact"] }],
    });
    const a = adult("a");
    const insert = db.prepare(
      "INSERT INTO reports (report_id, reporter_account, reported_message_id, reported_account, group_id, reason, note, created_at) VALUES (?, ?, ?, ?, ?, 'grooming', '', ?)",
    );
    insert.run("r1", "x", "m1", a, Buffer.alloc(16), T0 - HOUR);
    await s.beforeClaim(dev(a), teen("t1"), T0);
    insert.run("r2", "y", "m2", a, Buffer.alloc(16), T0);
    expect(await code(() => s.beforeClaim(dev(a), teen("t2"), T0 + 1))).toBe("SL_ERR_ACCOUNT_RESTRICTED");
  });

  it("new accounts that mass-contact are rate-limited; old accounts with the same volume are not", async () => {
    const rules = [{ name: "new", signal: "new-account-requests" as const, windowHours: 24, accountAgeHours: 72, threshold: 3, actions: ["rate-limit" as const] }];
    const s = service({ rules, rateLimitedRequestsPerDay: 100 });
    const fresh = adult("fresh", T0 - HOUR);
    const old = adult("old");
    for (let i = 0; i < 4; i++) {
      await s.beforeClaim(dev(fresh), adult(`f${i}`), T0);
      await s.beforeClaim(dev(old), adult(`o${i}`), T0);
    }
    expect(await s.isRestricted(fresh, "rate-limit")).toBe(true);
    expect(await s.isRestricted(old, "rate-limit")).toBe(false);
  });

  it("SL-V103 SL-V104 a teen's inbound setting and the adult-to-teen policy are checked before anything is recorded", async () => {
    const strict = service({});
    const a = adult("a");
    const t = teen("t");
    expect(await code(() => strict.beforeClaim(dev(a), t, T0))).toBe("SL_ERR_CONTACT_RESTRICTED");
    const open = service({ adultToTeen: "request" });
    await store.setInbound(t, "teens", T0);
    expect(await code(() => open.beforeClaim(dev(a), t, T0))).toBe("SL_ERR_CONTACT_RESTRICTED");
    await open.beforeClaim(dev(teen("t2")), t, T0); // another teen may
    await store.setInbound(t, "contacts", T0);
    expect(await code(() => open.beforeClaim(dev(teen("t3")), t, T0))).toBe("SL_ERR_CONTACT_RESTRICTED");
    expect(await store.countEvents(a, ["request"], 0, false)).toBe(0);
  });

  it("SL-V106 SL-V107 commit adds: a teen only into the 1:1 of an allowed request, which cannot grow into a group until accepted", async () => {
    const s = service({ adultToTeen: "request" });
    const [a, b, t] = [adult("a"), adult("b"), teen("t")];
    const g = new Uint8Array(16).fill(7);
    const member = (accountId: string, leaf: number) => ({ ...dev(accountId), leaf });
    expect(await code(() => s.beforeCommit(dev(a), g, [member(a, 0), member(b, 1)], [dev(t)], T0))).toBe("SL_ERR_CONTACT_RESTRICTED");
    await s.beforeClaim(dev(a), t, T0);
    expect((await s.beforeCommit(dev(a), g, [member(a, 0)], [dev(t)], T0)).size).toBe(0);
    expect(await store.pendingGroupsOf(t)).toEqual([g]);
    expect(await code(() => s.beforeCommit(dev(a), g, [member(a, 0), member(t, 1)], [dev(b)], T0))).toBe("SL_ERR_CONTACT_RESTRICTED");
    await s.accept(t, a, T0);
    expect(await store.pendingGroupsOf(t)).toEqual([]);
    expect((await s.beforeCommit(dev(a), g, [member(a, 0), member(t, 1)], [dev(b)], T0)).size).toBe(0);
    // Someone who blocked the committer is added silently, without a welcome.
    await s.block(b, a, T0);
    const g2 = new Uint8Array(16).fill(8);
    expect([...(await s.beforeCommit(dev(a), g2, [member(a, 0)], [dev(b)], T0))]).toEqual([b]);
  });
});
