/**
 * The crash harness (`npm run chaos`, src/bench/chaos.ts) in small: 20 SDK clients, 1:1 and a group,
 * attachments, reports and a moderator, against a real `safelight server` process SIGKILLed 3 times.
 * Every check of the full run must hold; the table is printed.
 */
import { expect, it } from "vitest";
import { parseIntFlags } from "@safelight/server/bench/flags";
import { chaosTable, DEFAULTS, runChaos } from "../src/bench/chaos.js";

it("loses nothing acknowledged across 3 SIGKILLs of the server (20 SDK clients)", { timeout: 300_000 }, async () => {
  const r = await runChaos({ ...parseIntFlags([], DEFAULTS), clients: 20, kills: 3, messages: 6, durationS: 20, syncMs: 1000, reportEvery: 5 });
  const { table, failures } = chaosTable(r);
  console.log(`chaos (seed ${r.seed}):\n${table}`);
  expect(failures).toEqual([]);
  expect(r.kills).toBe(3);
  expect(r.acked).toBe(20 * 6);
  expect(r.delivered).toBeGreaterThanOrEqual(r.acked);
  expect(r.filesDelivered).toBeGreaterThan(0);
  expect(r.commitsAcked).toBeGreaterThan(0);
  expect(r.reportsAcked).toBeGreaterThan(0);
  expect(r.decisionsAcked).toBe(r.reportsAcked);
});
