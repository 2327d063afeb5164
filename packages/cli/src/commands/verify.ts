/** `safelight verify`: safety numbers and verified contacts (docs/safety-numbers.md). */
import { formatSafetyNumber, safetyPayloadText } from "@safelight/protocol";
import { InvalidArgumentError, type Command } from "commander";
import { withClient } from "../profile.js";

export function registerVerifyCommand(program: Command): void {
  program
    .command("verified-only")
    .description("in CONVERSATION, hold outgoing messages while any member device is not verified (on), or not (off)")
    .argument("<conversation>", "conversation id")
    .argument("<state>", "on or off")
    .action(async (conversation: string, state: string, _opts: unknown, cmd: Command) => {
      if (state !== "on" && state !== "off") throw new InvalidArgumentError("state must be on or off");
      await withClient(cmd, async (client) => {
        await client.setVerifiedOnly(conversation, state === "on");
        process.stdout.write(`verified contacts only: ${state}\n`);
      });
    });

  program
    .command("confirm-devices")
    .description("accept the current devices of CONVERSATION's members and send the messages held for them")
    .argument("<conversation>", "conversation id")
    .action(async (conversation: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const unconfirmed = await client.unconfirmedDevices(conversation);
        const sent = await client.confirmDevices(conversation);
        process.stdout.write(`confirmed the devices of ${unconfirmed.join(", ") || "nobody new"}; sent ${sent.length} held message(s)\n`);
      });
    });

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
