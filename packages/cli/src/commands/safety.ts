/** Child-safety commands (docs/safety.md): message requests, contacts, blocking, who may message me,
 *  and the moderator's view of automatic safety actions. */
import type { InboundSetting, SafetyAction } from "@safelight/client";
import { InvalidArgumentError, type Command } from "commander";
import { withClient } from "../profile.js";

const INBOUND: readonly InboundSetting[] = ["everyone", "teens", "contacts"];

function parseInbound(value: string): InboundSetting {
  if (!(INBOUND as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${INBOUND.join(", ")}`);
  return value as InboundSetting;
}

const iso = (t: number) => new Date(t).toISOString();

function printAction(a: SafetyAction, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(a) + "\n");
    return;
  }
  const state = a.liftedAt === undefined ? "active" : `lifted ${iso(a.liftedAt)}`;
  process.stdout.write(`${iso(a.createdAt)} ${a.name} ${a.action} (rule ${a.rule}, by ${a.createdBy}, ${state}) ${a.detail}\n`);
}

export function registerSafetyCommands(program: Command): void {
  program
    .command("requests")
    .description("list message requests: first messages from people who are not your contacts")
    .option("--json", "one JSON object per request")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const requests = await client.safety.requests();
        for (const r of requests) {
          if (opts.json) {
            process.stdout.write(JSON.stringify({ from: r.name, accountId: r.accountId, createdAt: r.createdAt, notices: r.notices }) + "\n");
            continue;
          }
          process.stdout.write(`${iso(r.createdAt)} request from ${r.name}\n`);
          for (const n of r.notices) process.stdout.write(`  safety notice: ${n.text}\n`);
        }
        if (!opts.json && requests.length === 0) process.stdout.write("no message requests\n");
      });
    });

  program
    .command("accept")
    .description("accept NAME's message request (or approve NAME as a contact in advance); fetches withheld attachments")
    .argument("<name>", "account name")
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const files = await client.acceptRequest(name);
        process.stdout.write(`accepted ${name.toLowerCase()}\n`);
        for (const f of files) process.stdout.write(`attachment now available: ${f.path || f.name}\n`);
      });
    });

  for (const [verb, description, done] of [
    ["decline", "decline NAME's message request (they are not told)", "declined"],
    ["block", "block NAME: nothing from them is delivered to you (they are not told)", "blocked"],
    ["unblock", "unblock NAME: their new messages are delivered again", "unblocked"],
  ] as const) {
    program
      .command(verb)
      .description(description)
      .argument("<name>", "account name")
      .action(async (name: string, _opts: unknown, cmd: Command) => {
        await withClient(cmd, async (client) => {
          await client.safety[verb](name);
          process.stdout.write(`${done} ${name.toLowerCase()}\n`);
        });
      });
  }

  program
    .command("contacts")
    .description("list your contacts (accepted message requests, either way) and the accounts you blocked")
    .option("--json", "one JSON object per contact")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const [contacts, blocks] = [await client.safety.contacts(), await client.safety.blocks()];
        for (const c of contacts) {
          process.stdout.write(opts.json ? JSON.stringify({ name: c.name, accountId: c.accountId, since: c.since }) + "\n" : `${c.name}\n`);
        }
        for (const b of blocks) {
          process.stdout.write(
            opts.json ? JSON.stringify({ name: b.name, accountId: b.accountId, blocked: true, since: b.since }) + "\n" : `${b.name} (blocked)\n`,
          );
        }
      });
    });

  program
    .command("who-can-message")
    .description("show or set who may start a conversation with you: everyone, teens (other teens only) or contacts")
    .argument("[setting]", INBOUND.join(" | "), parseInbound)
    .action(async (setting: InboundSetting | undefined, _opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const s = await client.safety.settings(setting);
        process.stdout.write(`${s.inbound} (age band: ${s.ageBand})\n`);
      });
    });

  // Moderator commands join the `mod` group when it exists (commands/moderation.ts).
  const mod = program.commands.find((c) => c.name() === "mod") ?? program.command("mod").description("moderator commands");
  mod
    .command("safety-actions")
    .description("automatic (and lifted) child-safety actions: restrictions, rate limits, review queue")
    .option("--account <name>", "only this account")
    .option("--all", "include lifted actions")
    .option("--json", "one JSON object per action")
    .action(async (opts: { account?: string; all?: boolean; json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const actions = await client.safety.actions({ ...(opts.account ? { name: opts.account } : {}), all: opts.all === true });
        for (const a of actions) printAction(a, opts.json === true);
      });
    });
  mod
    .command("lift")
    .description("lift every active child-safety action (restriction, rate limit, review) on an account")
    .argument("<name>", "account name")
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const n = await client.safety.lift(name);
        process.stdout.write(`lifted ${n} action${n === 1 ? "" : "s"} on ${name.toLowerCase()}\n`);
      });
    });
}
