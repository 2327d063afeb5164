/** Disappearing messages (docs/messaging.md): show or set a conversation's timer. The timer changes other
 *  members make are printed by `sync`. */
import { timerText } from "@safelight/client";
import { InvalidArgumentError, type Command } from "commander";
import { withClient } from "../profile.js";

const SETTINGS: Record<string, number> = { off: 0, "5m": 300, "1h": 3600, "1d": 86400, "1w": 604800 };

function parseSetting(value: string): number {
  const seconds = SETTINGS[value];
  if (seconds === undefined) throw new InvalidArgumentError(`must be one of ${Object.keys(SETTINGS).join(", ")}`);
  return seconds;
}

export function registerDisappearingCommands(program: Command): void {
  program
    .command("disappearing")
    .description("show, or set, a conversation's disappearing-messages timer: off, 5m, 1h, 1d or 1w")
    .argument("<conversation>", "conversation id")
    .argument("[off|5m|1h|1d|1w]", "the new timer", parseSetting)
    .action(async (conversation: string, seconds: number | undefined, _opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        if (seconds !== undefined) await client.setDisappearing(conversation, seconds);
        const now = await client.disappearing(conversation);
        const by = now.byAccountId ? await client.nameOf(now.byAccountId) : undefined;
        process.stdout.write(by ? `${timerText(by, now.seconds)}\n` : "disappearing messages off\n");
      });
    });
}
