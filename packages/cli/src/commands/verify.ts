/** `safelight verify`: safety numbers and verified contacts (docs/safety-numbers.md). */
import { formatSafetyNumber, safetyPayloadText } from "@safelight/protocol";
import type { Command } from "commander";
import { withClient } from "../profile.js";

export function registerVerifyCommand(program: Command): void {
  program
    .command("verify")
    .description("print the safety number with NAME; with --confirm, mark NAME verified if it matches theirs")
    .argument("<name>", "account name")
    .option("--confirm <number>", "the number (or QR payload text) NAME's app shows; refused if it differs")
    .option("--json", "one JSON object: name, number, payload, verified")
    .action(async (name: string, opts: { confirm?: string; json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        if (opts.confirm !== undefined) await client.markVerified(name, opts.confirm);
        const number = await client.safetyNumber(name);
        const { verified, changedSinceVerified } = await client.verification(name);
        const who = name.toLowerCase();
        if (opts.json) {
          const out = { name: who, number: number.digits, payload: safetyPayloadText(number), verified, changedSinceVerified };
          process.stdout.write(JSON.stringify(out) + "\n");
          return;
        }
        process.stdout.write(`safety number with ${who}:\n${formatSafetyNumber(number.digits)}\n`);
        process.stdout.write(`payload: ${safetyPayloadText(number)}\n`);
        const state = verified ? "verified" : changedSinceVerified ? "NOT verified: their devices changed since you verified" : "not verified";
        process.stdout.write(`${who} is ${state}\n`);
      });
    });
}
