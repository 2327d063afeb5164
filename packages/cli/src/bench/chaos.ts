// `npm run chaos`: the crash harness of docs/reliability.md. SDK clients (1:1 and groups, attachments and
// reports mixed in, a moderator deciding the reports) talk to a real `safelight server` process that is
// SIGKILLed at random moments and restarted at once on the same data directory and port. Afterwards it
// checks what the clients recorded against what they received: acknowledged messages lost, duplicates
// after the SDK's de-duplication, each sender's order, every member's epoch against the server's, the
// reports and decisions against the moderation queue, the audit log's hash chain (over the API and on the
// data directory), franking stamps (the SDK drops any item whose stamp does not verify), and attachments.
// Flags: --clients=200 --kills=20 --messages=10 --duration-s=180 … (see DEFAULTS); prints a table.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SafelightError } from "@safelight/client";
import { openSqliteStorage, setAccountRole } from "@safelight/server";
import { parseIntFlags } from "@safelight/server/bench/flags";
import { ServerNode } from "@safelight/server/testing";
import { pool } from "@safelight/server/bench/setup";
import { FleetClient, formFleet, persist, prng, sleep, type Conversation } from "./fleet.js";

export const BIN = resolve(dirname(fileURLToPath(import.meta.url)), "../../bin/safelight.js");

export const DEFAULTS = {
  clients: { value: 200, min: 2 },
  kills: { value: 20, min: 0 },
  /** Messages each client sends, paced over the run. */
  messages: { value: 10, min: 1 },
  durationS: { value: 180, min: 1 },
  groupSize: { value: 5, min: 3 },
  groupPercent: { value: 25, min: 0 },
  /** Every n-th message carries an attachment (0 = none). */
  fileEvery: { value: 5, min: 0 },
  /** Every n-th client reports two of the messages it received (0 = none). */
  reportEvery: { value: 10, min: 0 },
  /** Each group's creator commits a key update this many times during the run. */
  commits: { value: 1, min: 0 },
  syncMs: { value: 2000, min: 100 },
  seed: { value: 0, min: 0 },
};
export type ChaosOptions = Record<keyof typeof DEFAULTS, number>;

export interface ChaosResult {
  seed: number;
  clients: number;
  conversations: number;
  kills: number;
  restartMs: number[];
  serverCrashes: number;
  sent: number;
  acked: number;
  retries: number;
  delivered: number;
  lost: number;
  duplicatesById: number;
  /** Copies of a message whose first post got no answer but was stored: the retry is a second message. */
  resendCopies: number;
  /** Copies not explained by a retried send (must be 0). */
  unexplainedCopies: number;
  orderViolations: number;
  filesDelivered: number;
  filesCorrupt: number;
  epochMismatches: number;
  commitsAcked: number;
  reportsAcked: number;
  reportsMissing: number;
  decisionsAcked: number;
  decisionsMissing: number;
  auditIntactApi: boolean;
  auditIntactDisk: boolean;
  auditEntries: number;
  droppedItems: number;
  elapsedMs: number;
}

/** Kill moments: `kills` random points in the middle 90% of the run, at least 2 s apart. */
function killTimes(rand: () => number, kills: number, durationMs: number): number[] {
  const gap = Math.min(2000, durationMs / (kills + 1));
  const times = Array.from({ length: kills }, () => durationMs * (0.05 + 0.9 * rand())).sort((a, b) => a - b);
  for (let i = 1; i < times.length; i++) times[i] = Math.max(times[i]!, times[i - 1]! + gap);
  return times;
}

/** The recipients of a message from `from` in its conversation. */
const recipients = (c: Conversation, from: number) => c.members.filter((m) => m !== from);

function tallyDelivery(fleet: FleetClient[]) {
  const t = { sent: 0, acked: 0, retries: 0, delivered: 0, lost: 0, duplicatesById: 0, resendCopies: 0, unexplainedCopies: 0, orderViolations: 0, filesDelivered: 0, filesCorrupt: 0 };
  for (const sender of fleet) {
    if (sender.conversation === undefined) continue;
    t.sent += sender.attempts.size;
    t.acked += sender.acked.size;
    for (const a of sender.attempts.values()) t.retries += a - 1;
    for (const r of recipients(sender.conversation, sender.index)) {
      const got = fleet[r]!.received.filter((m) => m.from === sender.index);
      const ids = new Set<string>();
      const first = new Set<number>();
      let last = -1;
      for (const m of got) {
        if (ids.has(m.id)) t.duplicatesById++;
        else if (first.has(m.n)) {
          if ((sender.attempts.get(m.n) ?? 1) > 1) t.resendCopies++;
          else t.unexplainedCopies++;
        } else {
          if (m.n < last) t.orderViolations++;
          last = Math.max(last, m.n);
          t.delivered++;
          if (m.fileOk !== undefined) {
            t.filesDelivered++;
            if (!m.fileOk) t.filesCorrupt++;
          }
        }
        ids.add(m.id);
        first.add(m.n);
      }
      for (const n of sender.acked.keys()) if (!first.has(n)) t.lost++;
    }
  }
  return t;
}

export async function runChaos(opts: ChaosOptions, log: (line: string) => void = console.log): Promise<ChaosResult> {
  const started = Date.now();
  const seed = opts.seed || Math.floor(Math.random() * 2 ** 31);
  const rand = prng(seed);
  const root = mkdtempSync(join(tmpdir(), "safelight-chaos-"));
  // Every client registers from 127.0.0.1: the registration limit per address would hold them back.
  const server = new ServerNode({ bin: BIN, dataDir: join(root, "server"), args: ["--limit", `registrationBurst=${opts.clients + 1}`] });
  const durationMs = opts.durationS * 1000;
  try {
    await server.start();
    const setupDeadline = Date.now() + 600_000;
    const { fleet, conversations } = await formFleet(server.url, join(root, "clients"), opts, setupDeadline);
    const moderator = new FleetClient(opts.clients, join(root, "clients"));
    const retries = { count: 0 };
    await persist(() => moderator.client.register(server.url, moderator.name, "1990-01-01"), retries, setupDeadline);
    if (!(await setAccountRole({ dataDir: server.dataDir }, moderator.name, "moderator"))) throw new Error("could not make the moderator");
    log(`seed ${seed}: ${fleet.length} clients in ${conversations.length} conversations, set up in ${Date.now() - started} ms`);

    const runStart = Date.now();
    const deadline = runStart + durationMs + 300_000;
    let running = true;
    const restartMs: number[] = [];
    let serverCrashes = 0;
    const killer = (async () => {
      for (const at of killTimes(rand, opts.kills, durationMs)) {
        await sleep(runStart + at - Date.now());
        if (server.crashed) serverCrashes++;
        await server.stop("SIGKILL");
        const t = Date.now();
        await server.start();
        restartMs.push(Date.now() - t);
      }
    })();
    const interval = durationMs / opts.messages;
    const senders = fleet.map(async (c) => {
      const offset = rand();
      for (let n = 0; n < opts.messages; n++) {
        await sleep(runStart + (n + offset) * interval - Date.now());
        await c.send(n, opts.fileEvery > 0 && (c.index + n) % opts.fileEvery === 0, deadline);
      }
    });
    let commitsAcked = 0;
    const committers = conversations
      .filter((c) => c.kind === "group")
      .map(async (c) => {
        for (let k = 0; k < opts.commits; k++) {
          await sleep(runStart + (durationMs * (k + rand())) / opts.commits - Date.now());
          await persist(() => fleet[c.members[0]!]!.client.updateKeys(c.groupId), retries, deadline);
          commitsAcked++;
        }
      });
    const reportIds = new Set<string>();
    let reportRetriesStored = 0;
    const reportOnce = async (c: FleetClient, k: number) => {
      const target = c.received[k * 3];
      if (target === undefined) return false;
      try {
        reportIds.add((await persist(() => c.client.report(target.id, "spam", { note: "chaos" }), retries, deadline)).reportId);
      } catch (err) {
        // An earlier attempt was stored but its answer lost: the report is there, under an id we never saw.
        if (!(err instanceof SafelightError && err.code === "SL_ERR_DUPLICATE_REPORT")) throw err;
        reportRetriesStored++;
      }
      return true;
    };
    const reporters = fleet.filter((c) => opts.reportEvery > 0 && c.index % opts.reportEvery === 0);
    const syncers = fleet.map(async (c) => {
      let reported = 0;
      while (running) {
        await c.syncOnce();
        if (reporters.includes(c) && reported < 2 && (await reportOnce(c, reported))) reported++;
        await sleep(opts.syncMs * (0.5 + rand()));
      }
    });
    const decided = new Set<string>();
    const decideOpen = async () => {
      const { reports } = await persist(() => moderator.client.moderation.reports("open"), retries, deadline);
      for (const r of reports) {
        await persist(() => moderator.client.moderation.decide(r.reportId, "dismiss", "chaos"), retries, deadline);
        decided.add(r.reportId);
      }
    };
    const moderating = (async () => {
      while (running) {
        await decideOpen();
        await sleep(3000);
      }
    })();

    await Promise.all([...senders, ...committers, killer]);
    log(`sends done ${Date.now() - runStart} ms into the run; ${restartMs.length} kills`);
    // Everything acked is in the queues: let every client catch up (at-least-once delivery).
    const catchUpBy = Date.now() + 120_000;
    while (tallyDelivery(fleet).lost > 0 && Date.now() < catchUpBy) await sleep(1000);
    running = false;
    await Promise.all([...syncers, moderating]);
    await pool(fleet, 16, (c) => c.syncOnce());
    await decideOpen();

    let epochMismatches = 0;
    for (const c of conversations) {
      const view = await persist(() => fleet[c.members[0]!]!.client.serverView(c.groupId), retries, deadline);
      for (const m of c.members) if ((await fleet[m]!.localEpoch()) !== BigInt(view.epoch)) epochMismatches++;
    }
    const all = new Set((await persist(() => moderator.client.moderation.reports("all"), retries, deadline)).reports.map((r) => r.reportId));
    const decidedNow = new Set((await persist(() => moderator.client.moderation.reports("decided"), retries, deadline)).reports.map((r) => r.reportId));
    const audit = await persist(() => moderator.client.moderation.audit(1000), retries, deadline);
    await server.stop("SIGTERM");
    const disk = await openSqliteStorage(server.dataDir);
    const brokenAt = await disk.moderation.verifyAuditChain();
    await disk.close();
    await Promise.all([...fleet, moderator].map((c) => c.client.close()));

    const t = tallyDelivery(fleet);
    return {
      seed,
      clients: fleet.length,
      conversations: conversations.length,
      kills: restartMs.length,
      restartMs,
      serverCrashes,
      ...t,
      retries: t.retries + fleet.reduce((n, c) => n + c.retries.count, retries.count),
      epochMismatches,
      commitsAcked,
      reportsAcked: reportIds.size + reportRetriesStored,
      reportsMissing: [...reportIds].filter((id) => !all.has(id)).length + Math.max(0, reportIds.size + reportRetriesStored - all.size),
      decisionsAcked: decided.size,
      decisionsMissing: [...decided].filter((id) => !decidedNow.has(id)).length,
      auditIntactApi: audit.intact,
      auditIntactDisk: brokenAt === undefined,
      auditEntries: audit.entries.length,
      droppedItems: fleet.reduce((n, c) => n + c.dropped.length, 0),
      elapsedMs: Date.now() - started,
    };
  } finally {
    await server.stop("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  }
}

/** The result as a two-column table; `failures` lists the checks that did not hold. */
export function chaosTable(r: ChaosResult): { table: string; failures: string[] } {
  const restart = [...r.restartMs].sort((a, b) => a - b);
  const rows: [string, string, boolean][] = [
    ["clients / conversations", `${r.clients} / ${r.conversations}`, true],
    ["SIGKILLs survived (restart ms median / max)", `${r.kills} (${restart[Math.floor(restart.length / 2)] ?? 0} / ${restart.at(-1) ?? 0})`, true],
    ["server exits not caused by the harness", String(r.serverCrashes), r.serverCrashes === 0],
    ["messages sent / acked (posts retried)", `${r.sent} / ${r.acked} (${r.retries})`, r.sent === r.acked],
    ["deliveries (per recipient)", String(r.delivered), true],
    ["acked messages lost", String(r.lost), r.lost === 0],
    ["duplicates after SDK de-duplication", String(r.duplicatesById), r.duplicatesById === 0],
    ["second copies of a retried send (first post stored, answer lost)", String(r.resendCopies), true],
    ["copies not explained by a retry", String(r.unexplainedCopies), r.unexplainedCopies === 0],
    ["order violations per sender", String(r.orderViolations), r.orderViolations === 0],
    ["attachments delivered / corrupt", `${r.filesDelivered} / ${r.filesCorrupt}`, r.filesCorrupt === 0],
    ["key-update commits acked; members off the server's epoch", `${r.commitsAcked}; ${r.epochMismatches}`, r.epochMismatches === 0],
    ["reports acked / missing from the moderation queue", `${r.reportsAcked} / ${r.reportsMissing}`, r.reportsMissing === 0],
    ["decisions acked / not recorded", `${r.decisionsAcked} / ${r.decisionsMissing}`, r.decisionsMissing === 0],
    ["audit log hash chain (API / data dir), entries", `${r.auditIntactApi ? "intact" : "BROKEN"} / ${r.auditIntactDisk ? "intact" : "BROKEN"}, ${r.auditEntries}`, r.auditIntactApi && r.auditIntactDisk],
    ["queue items dropped by the SDK (franking stamp or MLS check failed)", String(r.droppedItems), r.droppedItems === 0],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const table = [`| ${"check".padEnd(width)} | result |`, `|${"-".repeat(width + 2)}|--------|`, ...rows.map(([k, v, ok]) => `| ${k.padEnd(width)} | ${v}${ok ? "" : "  ✗"} |`)].join("\n");
  return { table, failures: rows.filter(([, , ok]) => !ok).map(([k]) => k) };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const opts = parseIntFlags(process.argv.slice(2), DEFAULTS);
  runChaos(opts).then(
    (r) => {
      const { table, failures } = chaosTable(r);
      console.log(`chaos: seed ${r.seed}, ${(r.elapsedMs / 1000).toFixed(0)} s\n${table}`);
      if (failures.length > 0) {
        console.error(`FAILED: ${failures.join("; ")}`);
        process.exitCode = 1;
      }
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
