import type { Command } from "commander";
import { withClient } from "../profile.js";

/** `devices` lists this account's devices; `devices remove ID` removes one from another device (a lost phone). */
export function registerDeviceCommands(program: Command): void {
  const devices = program
    .command("devices")
    .description("list this account's devices (id, key fingerprint, when linked); `devices remove ID` removes one")
    .option("--json", "one JSON object per device")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        for (const d of await client.devices()) {
          process.stdout.write(
            opts.json
              ? JSON.stringify(d) + "\n"
              : `${d.deviceId}  ${d.fingerprint}  linked ${new Date(d.linkedAt).toISOString()}${d.current ? "  (this device)" : ""}\n`,
          );
        }
      });
    });

  devices
    .command("remove")
    .description("remove another device of this account: it is signed out at once and taken out of every conversation")
    .argument("<deviceId>", "a device id from `safelight devices`")
    .action(async (deviceId: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const conversations = await client.removeDevice(deviceId);
        process.stdout.write(`removed device ${deviceId} (taken out of ${conversations.length} conversation${conversations.length === 1 ? "" : "s"})\n`);
      });
    });
}
