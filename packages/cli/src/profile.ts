/** Opens the client for the --profile directory (created on first use). */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { SafelightClient } from "@safelight/client";
import { SqliteClientStore, directoryFileSink } from "@safelight/client/node";
import { nodeCryptoProvider } from "@safelight/protocol/node";
import type { Command } from "commander";

export function profileDir(cmd: Command): string {
  return resolve(cmd.optsWithGlobals<{ profile: string }>().profile);
}

export async function openProfile(cmd: Command): Promise<{ client: SafelightClient; dir: string }> {
  const dir = profileDir(cmd);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const client = new SafelightClient({
    store: new SqliteClientStore(join(dir, "client.db")),
    fileSink: directoryFileSink(join(dir, "files")),
    provider: nodeCryptoProvider,
    warn: (m) => process.stderr.write(`safelight: warning: ${m}\n`),
  });
  return { client: await client.open(), dir };
}

/** Runs an action with the profile's client and always closes the store. */
export async function withClient<T>(cmd: Command, fn: (client: SafelightClient) => Promise<T>): Promise<T> {
  const { client } = await openProfile(cmd);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
