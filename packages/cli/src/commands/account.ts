import type { Command } from "commander";
import { parseUrl } from "../args.js";
import { withClient } from "../profile.js";

export function registerAccountCommands(program: Command): void {
  program
    .command("register")
    .description("create an account and make this profile its first device")
    .requiredOption("--server <url>", "server URL", parseUrl)
    .requiredOption("--name <name>", "account name (2-32 of a-z, 0-9, _)")
    .requiredOption("--birthdate <date>", "date of birth, YYYY-MM-DD (sets the age band)")
    .action(async (opts: { server: string; name: string; birthdate: string }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        await client.register(opts.server, opts.name, opts.birthdate);
        const me = client.me;
        process.stdout.write(`registered ${me.name} (account ${me.accountId}, device ${me.deviceId})\n`);
      });
    });

  program
    .command("link-device")
    .description(
      "pair a second device: run without options on an existing device to get a one-time code, " +
        "then with --server and --code on the new device's profile",
    )
    .option("--server <url>", "server URL (on the new device)", parseUrl)
    .option("--code <code>", "the code shown by the existing device")
    .action(async (opts: { server?: string; code?: string }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        if (opts.code === undefined) {
          if (opts.server !== undefined) throw new Error("--server goes with --code on the new device");
          const { code, expiresAt } = await client.createLinkCode();
          process.stdout.write(
            `${code}\nOn the new device run: safelight --profile DIR link-device --server ${client.me.serverUrl} --code ${code}\n` +
              `(valid until ${new Date(expiresAt).toISOString()}, once)\n`,
          );
          return;
        }
        if (opts.server === undefined) throw new Error("--code needs --server");
        await client.linkDevice(opts.server, opts.code);
        const me = client.me;
        process.stdout.write(`linked as a new device of ${me.name} (device ${me.deviceId})\n`);
      });
    });

  program
    .command("whoami")
    .description("show this profile's account and device")
    .action(async (_opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const me = client.me;
        process.stdout.write(`${me.name} (account ${me.accountId}, device ${me.deviceId}) on ${me.serverUrl}\n`);
      });
    });
}
