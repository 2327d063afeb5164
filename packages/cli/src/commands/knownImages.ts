/**
 * Known-image detection in the console (docs/known-images.md):
 *   admin hashlist list|import|replace|retire|digest      (through the API, with an admin --profile)
 *   admin transparency [--period day|month]               (admin --profile)
 *   profile-picture set FILE | get NAME --out FILE
 *   mod detections | mod evidence REPORT_ID               (moderator --profile)
 */
import { readFile, writeFile } from "node:fs/promises";
import type { HashListInfo } from "@safelight/client";
import { InvalidArgumentError, type Command } from "commander";
import { withClient } from "../profile.js";

function threshold(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new InvalidArgumentError("must be an integer 0-64");
  return n;
}

const when = (ms: number | null) => (ms === null ? "-" : new Date(ms).toISOString());

function printList(l: HashListInfo): void {
  process.stdout.write(
    `${l.listId} [${l.status}] "${l.name}" from ${l.sourceOrg}: ${l.hashCount} hashes (${l.distinctCount} distinct), threshold ${l.threshold}; ` +
      `imported ${when(l.importedAt)} by ${l.importedBy}${l.retiredAt !== null ? `; retired ${when(l.retiredAt)} by ${l.retiredBy}` : ""}${l.replaces ? `; replaces ${l.replaces}` : ""}\n`,
  );
}

function sub(program: Command, name: string): Command {
  const found = program.commands.find((c) => c.name() === name);
  if (!found) throw new Error(`the ${name} command must be registered first`);
  return found;
}

interface ListOpts {
  name: string;
  source: string;
  threshold?: number;
  skipInvalid?: boolean;
}

async function listInput(file: string, opts: ListOpts) {
  return {
    name: opts.name,
    sourceOrg: opts.source,
    csv: await readFile(file, "utf8"),
    ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
    ...(opts.skipInvalid ? { skipInvalid: true } : {}),
  };
}

export function registerKnownImageCommands(program: Command): void {
  const admin = sub(program, "admin"); // grant-admin / revoke-admin are with grant-moderator (moderation.ts)
  const hashlist = admin.command("hashlist").description("known-image hash lists on the server (the --profile account needs the admin role)");
  hashlist
    .command("list")
    .description("every list, active and retired, with counts")
    .option("--json", "one JSON object per list")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        for (const l of (await client.knownImages.lists()).lists) opts.json ? process.stdout.write(JSON.stringify(l) + "\n") : printList(l);
      });
    });
  const withListOptions = (c: Command) =>
    c
      .requiredOption("--name <name>", "the list's name")
      .requiredOption("--source <org>", "the organisation that supplied it")
      .option("--threshold <d>", "match at PDQ distance <= d (default 31)", threshold)
      .option("--skip-invalid", "import the good rows and list the bad ones (default: refuse the file)");
  withListOptions(hashlist.command("import").description("import a CSV/TSV of PDQ hashes (docs/pdq.md) as a new active list").argument("<csv>"))
    .action(async (file: string, opts: ListOpts, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const r = await client.knownImages.importList(await listInput(file, opts));
        printList(r.list);
        for (const s of r.skipped) process.stderr.write(`safelight: ${file}:${s.line}: ${s.message}\n`);
      });
    });
  withListOptions(hashlist.command("replace").description("import a new version of a list and retire the old one, atomically").argument("<listId>").argument("<csv>"))
    .action(async (listId: string, file: string, opts: ListOpts, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const r = await client.knownImages.replaceList(listId, await listInput(file, opts));
        printList(r.list);
        for (const s of r.skipped) process.stderr.write(`safelight: ${file}:${s.line}: ${s.message}\n`);
      });
    });
  hashlist
    .command("retire")
    .description("stop matching against a list (it stays recorded)")
    .argument("<listId>")
    .action(async (listId: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => printList((await client.knownImages.retireList(listId)).list));
    });
  hashlist
    .command("digest")
    .description("the published Merkle roots of the active lists (no hashes)")
    .action(async (_opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => process.stdout.write(JSON.stringify(await client.knownImages.digest(), null, 2) + "\n"));
    });

  admin
    .command("transparency")
    .description("counts of reports, matches, actions and escalations by period, from the audit log")
    .option("--period <period>", "day or month", "month")
    .option("--json", "print the JSON")
    .action(async (opts: { period: string; json?: boolean }, cmd: Command) => {
      if (opts.period !== "day" && opts.period !== "month") throw new InvalidArgumentError("--period must be day or month");
      const period = opts.period;
      await withClient(cmd, async (client) => {
        const t = (await client.knownImages.transparency(period)) as {
          periods: { period: string; reports: number; userReports: number; knownImageMatches: number; blockedUploads: number; flaggedReports: number; decisions: Record<string, number>; escalations: number; authorityReports: number; evidenceDeleted: number }[];
          hashLists: { active: number; retired: number; activeHashes: number };
        };
        if (opts.json) return void process.stdout.write(JSON.stringify(t) + "\n");
        process.stdout.write("period      reports  matches  blocked  flagged  actions  escalations  authority-reports  evidence-deleted\n");
        for (const p of t.periods) {
          const actions = Object.entries(p.decisions).filter(([a]) => a !== "dismiss").reduce((n, [, c]) => n + c, 0);
          process.stdout.write(
            `${p.period.padEnd(10)} ${String(p.reports).padStart(8)} ${String(p.knownImageMatches).padStart(8)} ${String(p.blockedUploads).padStart(8)} ${String(p.flaggedReports).padStart(8)} ${String(actions).padStart(8)} ${String(p.escalations).padStart(12)} ${String(p.authorityReports).padStart(18)} ${String(p.evidenceDeleted).padStart(17)}\n`,
          );
        }
        process.stdout.write(`hash lists: ${t.hashLists.active} active (${t.hashLists.activeHashes} hashes), ${t.hashLists.retired} retired\n`);
      });
    });

  const picture = program.command("profile-picture").description("your profile picture (checked against known-image lists before anyone sees it)");
  picture
    .command("set")
    .argument("<file>", "JPEG, PNG, WebP, GIF or PPM/PGM")
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const bytes = new Uint8Array(await readFile(file));
      await withClient(cmd, async (client) => {
        const r = await client.knownImages.setProfilePicture(bytes);
        process.stdout.write(r.status === "ok" ? "profile picture set\n" : "profile picture uploaded; it shows once it has been checked\n");
      });
    });
  picture
    .command("get")
    .argument("<name>", "account name")
    .requiredOption("--out <file>", "where to write it")
    .action(async (name: string, opts: { out: string }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const bytes = await client.knownImages.profilePicture(name);
        await writeFile(opts.out, bytes);
        process.stdout.write(`${opts.out}: ${bytes.length} bytes\n`);
      });
    });

  const mod = sub(program, "mod");
  mod
    .command("detections")
    .description("queue items opened or flagged by known-image detection (high priority first)")
    .action(async (_opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const { items } = await client.knownImages.detections();
        items.sort((a, b) => (a.priority === b.priority ? b.createdAt - a.createdAt : a.priority === "high" ? -1 : 1));
        for (const i of items) process.stdout.write(`${i.reportId} ${when(i.createdAt)} [${i.priority}] ${i.source}${i.flagged ? " MATCHED" : ""}\n`);
      });
    });
  mod
    .command("evidence")
    .description("preserved files of a report: hashes, list matches, retention (no content)")
    .argument("<reportId>")
    .action(async (reportId: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => process.stdout.write(JSON.stringify(await client.knownImages.evidence(reportId), null, 2) + "\n"));
    });
}
