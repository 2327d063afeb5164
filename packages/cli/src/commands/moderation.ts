import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { addStorageOptions, storageTarget, type StorageOpts } from "./storageOptions.js";
import type { DecisionAction, ReportDetail, ReportReason } from "@safelight/client";
import { InvalidArgumentError, Option, type Command } from "commander";
import { parsePostgresUrl, parseSchemaName } from "../args.js";
import { withClient } from "../profile.js";

const REASONS: readonly ReportReason[] = ["child_sexual_exploitation", "grooming", "harassment", "spam", "other"];
const ACTIONS: readonly DecisionAction[] = ["dismiss", "warn", "restrict", "ban", "escalate"];

function oneOf<T extends string>(allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${allowed.join(", ")}`);
    return value as T;
  };
}

function parseContext(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 10) throw new InvalidArgumentError("must be 0-10 preceding messages");
  return n;
}

function printReport(r: ReportDetail): void {
  process.stdout.write(
    `report ${r.reportId} [${r.status}] ${r.reason}: ${r.reporter.name} reported ${r.reported.name}` +
      `${r.note ? ` — "${r.note}"` : ""}\n`,
  );
  for (const m of r.messages) {
    const mark = m.reported ? ">>" : "  ";
    const check = m.verified ? "verified" : "UNVERIFIED";
    const files = m.files.map((f) => ` [file ${f.name}, ${f.size} bytes]`).join("");
    process.stdout.write(`${mark} ${new Date(m.acceptedAt).toISOString()} ${m.sender.name} (${check}): ${m.text}${files}\n`);
  }
}

export function registerModerationCommands(program: Command): void {
  program
    .command("report")
    .description("report a received message to the moderators, with its verifiable (franked) context")
    .argument("<messageId>", "the message id, as `sync --json` prints it")
    .requiredOption("--reason <reason>", `one of ${REASONS.join(", ")}`, oneOf(REASONS))
    .option("--context <n>", "how many preceding messages to include (0-10)", parseContext, 10)
    .option("--note <text>", "a note for the moderators")
    .option("--attach", "reveal the message's decrypted attachments too (checked for known images, kept as evidence)")
    .action(async (messageId: string, opts: { reason: ReportReason; context: number; note?: string; attach?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const message = opts.attach ? (await client.history()).find((m) => m.id === messageId) : undefined;
        const attachments = await Promise.all(
          (message?.files ?? []).filter((f) => f.path && !f.error).map(async (f) => ({ messageId, name: f.name, type: f.type, bytes: new Uint8Array(await readFile(f.path)) })),
        );
        const r = await client.report(messageId, opts.reason, {
          contextCount: opts.context,
          ...(opts.note ? { note: opts.note } : {}),
          ...(attachments.length ? { attachments } : {}),
        });
        process.stdout.write(
          `reported: ${r.reportId} (${r.verified} verified message${r.verified === 1 ? "" : "s"}` +
            `${r.unverified.length ? `, ${r.unverified.length} could not be verified` : ""}` +
            `${r.attachments ? `, ${r.attachments} attachment${r.attachments === 1 ? "" : "s"} revealed` : ""})\n`,
        );
      });
    });

  const admin = program
    .command("admin")
    .description("operator commands (roles, on the server's data directory) and admin commands (hash lists, transparency)");
  const roleCommands = [
    ["grant-moderator", "moderator", "give an account the moderator role", "a moderator"],
    ["revoke-moderator", "user", "take the moderator role away", "a regular user"],
    // Admins manage known-image hash lists and read transparency figures (docs/known-images.md).
    ["grant-admin", "admin", "give an account the admin role (hash lists, transparency figures)", "an admin"],
    ["revoke-admin", "user", "take the admin role away", "a regular user"],
  ] as const;
  for (const [verb, role, description, now] of roleCommands) {
    addStorageOptions(admin.command(verb).description(description).argument("<name>", "account name"))
      .action(async (name: string, opts: StorageOpts) => {
        const { setAccountRole } = await import("@safelight/server");
        if (!(await setAccountRole(storageTarget(opts), name.toLowerCase(), role))) throw new Error(`no account named ${name}`);
        process.stdout.write(`${name} is now ${now}\n`);
      });
  }

  admin
    .command("migrate-to-postgres")
    .description("copy a SQLite deployment (--data, with its blobs) into an empty PostgreSQL schema (docs/deploy.md); stop the server first")
    .requiredOption("--data <dir>", "the SQLite deployment's data directory")
    .addOption(new Option("--database <url>", "PostgreSQL URL to move into").env("SAFELIGHT_DATABASE_URL").argParser(parsePostgresUrl).makeOptionMandatory())
    .addOption(new Option("--database-schema <name>", "PostgreSQL schema for the tables").env("SAFELIGHT_DATABASE_SCHEMA").argParser(parseSchemaName).default("public"))
    .action(async (opts: { data: string; database: string; databaseSchema: string }) => {
      const { migrateToPostgres } = await import("@safelight/server");
      const { tables, blobs } = await migrateToPostgres({ dataDir: resolve(opts.data), databaseUrl: opts.database, databaseSchema: opts.databaseSchema });
      for (const t of tables) process.stdout.write(`${t.table}: ${t.rows} rows\n`);
      process.stdout.write(`blob contents: ${blobs.copied} copied (${blobs.bytes} bytes)\n`);
      if (blobs.missing.length > 0) process.stderr.write(`warning: ${blobs.missing.length} blob records had no file (their attachments were already unreadable): ${blobs.missing.join(", ")}\n`);
      process.stdout.write(`moved ${tables.reduce((n, t) => n + t.rows, 0)} rows; start the servers with --database (the SQLite file is left as it was)\n`);
    });

  const mod = program.command("mod").description("moderator commands (the account needs the moderator role)");
  mod
    .command("reports")
    .description("list reports")
    .option("--status <status>", "open, decided or all", oneOf(["open", "decided", "all"] as const), "open")
    .option("--json", "one JSON object per report")
    .action(async (opts: { status: "open" | "decided" | "all"; json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        for (const r of (await client.moderation.reports(opts.status)).reports) {
          process.stdout.write(
            opts.json
              ? JSON.stringify(r) + "\n"
              : `${r.reportId} ${new Date(r.createdAt).toISOString()} [${r.status}] ${r.reason}: ${r.reporter.name} → ${r.reported.name} (${r.messageCount} messages)\n`,
          );
        }
      });
    });
  mod
    .command("show")
    .description("open a report with its verified messages")
    .argument("<reportId>")
    .option("--json", "print JSON")
    .action(async (reportId: string, opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const r = await client.moderation.report(reportId);
        if (opts.json) process.stdout.write(JSON.stringify(r) + "\n");
        else printReport(r);
      });
    });
  mod
    .command("decide")
    .description("record a decision on a report")
    .argument("<reportId>")
    .argument("<action>", ACTIONS.join(", "), oneOf(ACTIONS))
    .option("--note <text>", "why")
    .action(async (reportId: string, action: DecisionAction, opts: { note?: string }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const { decisionId } = await client.moderation.decide(reportId, action, opts.note);
        process.stdout.write(`decided ${action} (${decisionId})\n`);
      });
    });
  mod
    .command("account")
    .description("an account's reports, decisions and status")
    .argument("<name>")
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        process.stdout.write(JSON.stringify(await client.moderation.account(name), null, 2) + "\n");
      });
    });
  mod
    .command("audit")
    .description("the moderation audit log, newest first")
    .option("--limit <n>", "entries", (v) => Number(v), 50)
    .action(async (opts: { limit: number }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const { intact, entries } = await client.moderation.audit(opts.limit);
        process.stdout.write(`chain ${intact ? "intact" : "BROKEN"}\n`);
        for (const e of entries) process.stdout.write(JSON.stringify(e) + "\n");
      });
    });
}
