import { Command, CommanderError } from "commander";
import { registerPdqCommands } from "./commands/pdq.js";
import { registerAccountCommands } from "./commands/account.js";
import { registerDeviceCommands } from "./commands/devices.js";
import { registerMessagingCommands } from "./commands/messaging.js";
import { registerModerationCommands } from "./commands/moderation.js";
import { registerKnownImageCommands } from "./commands/knownImages.js";
import { registerKeyTransparencyCommands } from "./commands/keyTransparency.js";
import { registerDisappearingCommands } from "./commands/disappearing.js";
import { registerReactionCommands } from "./commands/reactions.js";
import { registerSafetyCommands } from "./commands/safety.js";
import { registerServerCommand } from "./commands/server.js";
import { registerVerifyCommand } from "./commands/verify.js";

/** Builds the `safelight` command tree. Each module under commands/ registers its own subcommands. */
export function buildProgram(): Command {
  const program = new Command("safelight")
    .description("Safelight: end-to-end encrypted messaging with child-safety measures that never see plaintext")
    .option("--profile <dir>", "profile directory holding this device's keys and state", "./profile")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerServerCommand(program);
  registerAccountCommands(program);
  registerDeviceCommands(program);
  registerMessagingCommands(program);
  registerReactionCommands(program);
  registerDisappearingCommands(program);
  registerModerationCommands(program);
  registerKnownImageCommands(program); // adds to `admin` and `mod`
  registerSafetyCommands(program);
  registerKeyTransparencyCommands(program);
  registerVerifyCommand(program);
  registerPdqCommands(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. Errors become one human line on stderr. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed usage errors and help; help/version exit 0.
      return err.exitCode;
    }
    process.stderr.write(`safelight: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
