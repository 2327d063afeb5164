/**
 * Where the server's state is: `--data` (SQLite, the default) or `--database` (PostgreSQL), shared by
 * `server` and the operator commands that open the store directly. Environment variables give the same.
 */
import { resolve } from "node:path";
import { Option, type Command } from "commander";
import { parsePostgresUrl, parseSchemaName } from "../args.js";

export interface StorageOpts {
  data: string;
  database?: string;
  databaseSchema: string;
}

export function addStorageOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--data <dir>", "data directory (SQLite database, blobs, keys)").env("SAFELIGHT_DATA").default("./data"))
    .addOption(
      new Option("--database <url>", "PostgreSQL URL for several nodes on one database (default: SQLite in --data)")
        .env("SAFELIGHT_DATABASE_URL")
        .argParser(parsePostgresUrl),
    )
    .addOption(
      new Option("--database-schema <name>", "PostgreSQL schema for the tables").env("SAFELIGHT_DATABASE_SCHEMA").argParser(parseSchemaName).default("public"),
    );
}

/** The server options naming that store. */
export function storageTarget(opts: StorageOpts): { dataDir: string; databaseUrl?: string; databaseSchema: string } {
  return { dataDir: resolve(opts.data), ...(opts.database ? { databaseUrl: opts.database } : {}), databaseSchema: opts.databaseSchema };
}
