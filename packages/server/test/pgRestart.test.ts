/**
 * The database drops a node's connections under load (issue 12): one `safelight server` process on
 * PostgreSQL, 40 devices in 20 two-member MLS groups sending to each other without pause, and three
 * times every connection of that node is terminated (pg_terminate_backend, picked by the
 * application_name its database URL gives it, so no other test's connections are touched).
 * Requests in flight fail (no answer, or 503 while the database is away) and are retried with the
 * same bytes; the node must recover by itself (same process), fail nothing once recovered, and
 * every acked message must be delivered once, in each sender's order.
 */
import { rmSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { clusterEnv, testDatabaseUrl } from "../src/testing.js";
import { failureCounts, failuresSince, pairedMembers, receiveLoop, request, ServerNode, sleep, tally, type Member } from "./failureLoad.js";

const DEVICES = 40;
const TERMINATIONS = 3;

const applicationName = `sl_pgrestart_${process.pid}_${Date.now().toString(36)}`;
const databaseUrl = new URL(testDatabaseUrl);
databaseUrl.searchParams.set("application_name", applicationName);
const node = new ServerNode({ ...clusterEnv(`pgRestart-${process.pid}-${Date.now()}`), SAFELIGHT_DATABASE_URL: databaseUrl.href });
let members: Member[] = [];

beforeAll(async () => {
  await node.start();
  members = await pairedMembers(node.url, DEVICES);
});

afterAll(async () => {
  await node.stop("SIGTERM");
  rmSync(node.dataDir, { recursive: true, force: true });
});

/** Terminates every backend of this test's node; returns how many there were. */
async function terminateNodeConnections(): Promise<number> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1`,
      [applicationName],
    );
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

const ackedTotal = () => members.reduce((sum, m) => sum + m.acked.size, 0);

it(`recovers without a restart when PostgreSQL drops its connections ${TERMINATIONS} times, losing no acked message`, { timeout: 300_000 }, async () => {
  const pid = node.pid;
  const health: { at: number; status: number | "no answer" }[] = [];
  let running = true;
  const polling = (async () => {
    while (running) {
      const answer = await request(node.url, "GET", "/healthz").catch(() => undefined);
      health.push({ at: Date.now(), status: answer?.status ?? "no answer" });
      await sleep(100);
    }
  })();
  const receiving = receiveLoop(members, () => node.url, 300);
  const sending = members.map(async (m) => {
    while (running) await m.sendNext(() => node.url, Date.now() + 60_000);
  });
  const rows: string[] = [];
  try {
    for (let i = 0; i < TERMINATIONS; i++) {
      await sleep(2000);
      const failuresBefore = failureCounts(members);
      const ackedBefore = ackedTotal();
      const at = Date.now();
      const terminated = await terminateNodeConnections();
      expect(terminated).toBeGreaterThan(0);
      // Recovered: /healthz answers 200 again and another message per sender got through.
      const deadline = at + 30_000;
      while (!(health.some((h) => h.at > at && h.status === 200) && ackedTotal() >= ackedBefore + DEVICES)) {
        if (Date.now() > deadline) {
          throw new Error(`no recovery within 30 s of termination ${i + 1}: send failures ${failuresSince(failuresBefore, failureCounts(members))}; node ${node.crashed ?? "still running"}`);
        }
        await sleep(20);
      }
      const recoveredIn = Date.now() - at;
      const failuresDuring = failuresSince(failuresBefore, failureCounts(members));
      // Once recovered, nothing fails: the failures above were transient.
      const steady = failureCounts(members);
      await sleep(1500);
      const afterRecovery = failuresSince(steady, failureCounts(members));
      const unhealthy = health.filter((h) => h.at > at && h.status !== 200).length;
      const row =
        `termination ${i + 1}: ${terminated} connections terminated; send failures until recovered: ${failuresDuring}; ` +
        `/healthz not 200: ${unhealthy} of ${health.filter((h) => h.at > at).length} polls; recovered in ${recoveredIn} ms; send failures after: ${afterRecovery}`;
      rows.push(row);
      console.log(row);
      expect(afterRecovery).toBe("none");
    }
  } finally {
    running = false;
    // Settled, not awaited: a sender's timeout must not hide the error that ended the loop above.
    await Promise.allSettled([polling, ...sending]);
    // Every acked message is delivered: the receivers go on until their queues are drained.
    const deadline = Date.now() + 30_000;
    while (tally(members, 0, Infinity).lost > 0 && Date.now() < deadline) await sleep(100);
    await receiving.stop();
  }
  await Promise.all(sending);
  const t = tally(members, 0, Infinity);
  const total = `pg terminations: sent ${t.sent}, acked ${t.acked}, retried ${t.retried}, delivered ${t.delivered}, lost ${t.lost}, duplicates-after-dedup ${t.duplicates}, order violations ${t.orderViolations}`;
  console.log(`${rows.join("\n")}\n${total}`);
  expect(node.crashed).toBeUndefined();
  expect(node.pid).toBe(pid);
  expect(t.acked).toBe(t.sent);
  expect({ lost: t.lost, duplicates: t.duplicates, orderViolations: t.orderViolations }).toEqual({ lost: 0, duplicates: 0, orderViolations: 0 });
});
