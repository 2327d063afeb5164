/** `audit` and `checkpoint`: anyone can replay the key-transparency log, and any two parties can
 *  compare the heads they were served (docs/key-transparency.md, "Auditing" and "Gossip"). */
import { auditLog, parseCheckpoint, formatCheckpoint } from "@safelight/client";
import type { Command } from "commander";
import { withClient } from "../profile.js";

export function registerKeyTransparencyCommands(program: Command): void {
  program
    .command("audit")
    .description("replay a server's key-transparency log: recompute its root, check the signed head and a checkpoint")
    .requiredOption("--server <url>", "the server whose log to audit")
    .option("--from <checkpoint>", "a checkpoint TREESIZE:ROOT printed by an earlier audit, another auditor or `safelight checkpoint`")
    .option("--json", "print the result as one JSON object")
    .action(async (opts: { server: string; from?: string; json?: boolean }) => {
      const from = opts.from === undefined ? undefined : parseCheckpoint(opts.from);
      const r = await auditLog(opts.server, from);
      const checkpoint = formatCheckpoint(r.head);
      process.stdout.write(
        opts.json
          ? JSON.stringify({ checkpoint, head: r.head, entries: r.entries, adds: r.adds, revokes: r.revokes, accounts: r.accounts }) + "\n"
          : `log ok: ${r.entries} entries (${r.adds} add, ${r.revokes} revoke) for ${r.accounts} accounts` +
              `${from ? `, consistent with ${opts.from}` : ""}\ncheckpoint ${checkpoint} (signed at ${new Date(r.head.timestamp).toISOString()} with key ${r.head.keyId})\n`,
      );
    });

  program
    .command("checkpoint")
    .description("print the newest key-transparency head this device has verified, or compare one given")
    .option("--compare <checkpoint>", "check another party's checkpoint against this device's view")
    .action(async (opts: { compare?: string }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        if (opts.compare !== undefined) {
          await client.compareKeyTransparency(opts.compare);
          process.stdout.write(`consistent with ${opts.compare}\n`);
          return;
        }
        const checkpoint = await client.keyTransparencyCheckpoint();
        if (!checkpoint) throw new Error("this device has seen no key-transparency head yet: run sync first");
        process.stdout.write(`${checkpoint}\n`);
      });
    });
}
