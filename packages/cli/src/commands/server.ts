import { resolve } from "node:path";
import { Option, type Command } from "commander";
import type { LimitsConfig } from "@safelight/server";
import { parseLimits, parseNatsUrl, parsePort, parseRedisUrl } from "../args.js";
import { addStorageOptions, storageTarget, type StorageOpts } from "./storageOptions.js";

/** LimitsConfig's keys (packages/server/src/config.ts); the server command checks --limit names against them. */
const LIMIT_NAMES = [
  "maxJsonBytes",
  "maxBlobBytes",
  "rateBurst",
  "ratePerSecond",
  "anonBurst",
  "anonPerSecond",
  "registrationBurst",
  "registrationPerHour",
  "linkCodeBurst",
  "linkCodePerHour",
  "groupSendBurst",
  "groupSendPerSecond",
  "blobQuotaBytes",
  "headersTimeoutMs",
  "requestTimeoutMs",
] as const satisfies readonly (keyof LimitsConfig)[];
// A LimitsConfig key missing from the list fails to compile here.
const everyLimitListed: Exclude<keyof LimitsConfig, (typeof LIMIT_NAMES)[number]> extends never ? true : never = true;
void everyLimitListed;

export function registerServerCommand(program: Command): void {
  addStorageOptions(
    program.command("server").description("run the Safelight server: SQLite in --data by default; PostgreSQL and NATS for several nodes (docs/deploy.md)"),
  )
    .addOption(new Option("--nats <url>", "NATS URL for cross-node signals (default: in-process, one node)").env("SAFELIGHT_NATS_URL").argParser(parseNatsUrl))
    .addOption(new Option("--nats-prefix <prefix>", "NATS subject prefix shared by the nodes of one deployment").env("SAFELIGHT_NATS_PREFIX").default("safelight"))
    .addOption(new Option("--redis <url>", "Redis URL for rate limits shared by every node (default: each node limits on its own)").env("SAFELIGHT_REDIS_URL").argParser(parseRedisUrl))
    .addOption(new Option("--redis-prefix <prefix>", "Redis key prefix shared by the nodes of one deployment").env("SAFELIGHT_REDIS_PREFIX").default("safelight"))
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 picks a free one)", parsePort, 8080)
    .option("--policy <file>", "child-safety policy JSON (docs/safety.md; default: <data>/safety-policy.json if present)")
    .option("--moderation-key <file>", "evidence key file (docs/known-images.md; default <data>/moderation.key, created 0600)")
    .option("--evidence-retention-days <n>", "delete preserved evidence after this many days (default 365)", (v: string) => {
      const n = Number(v);
      if (!(n > 0)) throw new Error("--evidence-retention-days must be a positive number");
      return n;
    })
    .addOption(
      new Option("--limit <name=value>", "a server limit, repeatable (docs/server.md, Limits: e.g. blobQuotaBytes=1073741824, groupSendPerSecond=20)")
        .env("SAFELIGHT_LIMITS")
        .argParser(parseLimits(LIMIT_NAMES)),
    )
    .option("--no-dihedral", "known-image checks match an image as it is only, not also its rotations and mirror images")
    .action(async (opts: StorageOpts & { nats?: string; natsPrefix: string; redis?: string; redisPrefix: string; host: string; port: number; policy?: string; moderationKey?: string; evidenceRetentionDays?: number; dihedral: boolean; limit?: Record<string, number> }) => {
      // Loaded on demand: the server's dependencies would slow every other command's start-up.
      const { startServer } = await import("@safelight/server");
      const server = await startServer({
        ...storageTarget(opts),
        ...(opts.nats ? { natsUrl: opts.nats } : {}),
        natsPrefix: opts.natsPrefix,
        ...(opts.redis ? { redisUrl: opts.redis } : {}),
        redisPrefix: opts.redisPrefix,
        host: opts.host,
        port: opts.port,
        handleSignals: false,
        ...(opts.policy ? { policyFile: resolve(opts.policy) } : {}),
        ...(opts.moderationKey ? { moderationKeyFile: resolve(opts.moderationKey) } : {}),
        ...(opts.evidenceRetentionDays ? { evidenceRetentionMs: opts.evidenceRetentionDays * 24 * 3600 * 1000 } : {}),
        matchDihedral: opts.dihedral,
        ...(opts.limit ? { limits: opts.limit } : {}),
      });
      process.stdout.write(`listening on ${server.url}\n`);
      await new Promise<void>((done) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          server.close().then(done, done);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
