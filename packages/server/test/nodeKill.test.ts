/**
 * Node kills under load (issue 12): two `safelight server` processes on one PostgreSQL schema (NATS
 * signals, Redis rate limits), behind a TCP load balancer that sends each new connection to a live
 * node. 200 devices, in 100 two-member MLS groups, send numbered messages to each other through the
 * balancer while one node is SIGKILLed; the killed node is restarted on the same schema, and again,
 * 10 kills in all, alternating nodes.
 *
 * Every message is really MLS-encrypted by its sender and decrypted by its receiver (ts-mls), once
 * each: a send that got no answer, or a 5xx, is posted again with the same ciphertext, which the server
 * recognises (the id is derived from it) instead of queueing a second copy. Pairs rather than larger
 * groups keep the fan-out, and so the run, short on a busy 2-core machine: 200 senders, 2 messages each
 * per kill, 4,000 messages. Receivers read their queues over HTTP (no WebSocket: a poll is retried the
 * same way as a send) and drop items seen before by id, as the SDK does.
 *
 * Per kill it prints sent, acked, retried, delivered, lost, duplicates after dedup and order
 * violations, and requires no acked message lost, none delivered twice, each sender's order kept.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { clusterEnv } from "../src/testing.js";
import { Balancer, failureCounts, failuresSince, pairedMembers, receiveLoop, redelivered, ServerNode, sleep, tally, type Member } from "./failureLoad.js";

const DEVICES = 200;
const KILLS = 10;
const PER_ROUND = 2;

const env = clusterEnv(`nodeKill-${process.pid}-${Date.now()}`);
const nodes = [new ServerNode(env), new ServerNode(env)];
const balancer = new Balancer(() => nodes.map((n) => n.port));
let base = "";
let members: Member[] = [];

beforeAll(async () => {
  // One after the other: the first creates the schema.
  for (const n of nodes) {
    await n.start();
  }
  base = await balancer.listen();
  const started = Date.now();
  members = await pairedMembers(nodes[0]!.url, DEVICES);
  console.log(`${DEVICES} devices registered and paired in ${Date.now() - started} ms`);
});

afterAll(async () => {
  await balancer.close();
  for (const n of nodes) {
    await n.stop("SIGTERM");
    rmSync(n.dataDir, { recursive: true, force: true });
  }
});

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

it(`loses no acked message across ${KILLS} node kills (${DEVICES} devices)`, { timeout: 600_000 }, async () => {
  const receiving = receiveLoop(members, () => base, 2000);
  const rows: string[] = [];
  try {
    for (let round = 0; round < KILLS; round++) {
      const started = Date.now();
      const [from, to] = [round * PER_ROUND, (round + 1) * PER_ROUND];
      const victim = nodes[round % 2]!;
      const redeliveredBefore = redelivered(members);
      const failuresBefore = failureCounts(members);
      const deadline = Date.now() + 120_000;
      const sending = Promise.all(
        members.map(async (m) => {
          for (let k = 0; k < PER_ROUND; k++) await m.sendNext(() => base, deadline);
        }),
      );
      // The kill comes with a third of the round acked: sends are in flight on both nodes.
      const ackedSoFar = () => members.reduce((sum, m) => sum + [...m.acked.keys()].filter((n) => n >= from).length, 0);
      await until("a third of the round acked", () => ackedSoFar() >= (DEVICES * PER_ROUND) / 3, 60_000);
      const killedAt = Date.now();
      await victim.stop("SIGKILL");
      // Restarted at once, as a supervisor would, while the survivor takes the load.
      const [sentIn, restartedIn] = await Promise.all([sending.then(() => Date.now() - killedAt), victim.start().then(() => Date.now() - killedAt)]);
      // Delivery is at least once: wait until every acked message of the round came (or time runs out
      // and the count below shows what was lost).
      await until("the round delivered", () => tally(members, from, to).lost === 0, 30_000).catch(() => {});
      const t = tally(members, from, to);
      const row =
        `kill ${round + 1} (node ${(round % 2) + 1}): sent ${t.sent}, acked ${t.acked}, retried ${t.retried} (${failuresSince(failuresBefore, failureCounts(members))}), ` +
        `delivered ${t.delivered}, lost ${t.lost}, duplicates-after-dedup ${t.duplicates}, order violations ${t.orderViolations}, ` +
        `redelivered and dropped by id ${redelivered(members) - redeliveredBefore}; ${Date.now() - started} ms (after the kill: sends done in ${sentIn} ms, node back in ${restartedIn} ms)`;
      rows.push(row);
      console.log(row);
      for (const n of nodes) expect(n.crashed).toBeUndefined();
      expect({ acked: t.acked, lost: t.lost, duplicates: t.duplicates, orderViolations: t.orderViolations }).toEqual({
        acked: DEVICES * PER_ROUND,
        lost: 0,
        duplicates: 0,
        orderViolations: 0,
      });
    }
  } finally {
    await receiving.stop();
    console.log(`node kills:\n${rows.join("\n")}`);
  }
});
