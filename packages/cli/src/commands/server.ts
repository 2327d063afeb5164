import { resolve } from "node:path";
import type { Command } from "commander";
import { parsePort } from "../args.js";

export function registerServerCommand(program: Command): void {
  program
    .command("server")
    .description("run the Safelight server on the embedded default store (SQLite)")
    .option("--data <dir>", "data directory (database, blobs)", "./data")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 picks a free one)", parsePort, 8080)
    .option("--policy <file>", "child-safety policy JSON (docs/safety.md; default: <data>/safety-policy.json if present)")
    .option("--moderation-key <file>", "evidence key file (docs/known-images.md; default <data>/moderation.key, created 0600)")
    .option("--evidence-retention-days <n>", "delete preserved evidence after this many days (default 365)", (v: string) => {
      const n = Number(v);
      if (!(n > 0)) throw new Error("--evidence-retention-days must be a positive number");
      return n;
    })
    .option("--no-dihedral", "known-image checks match an image as it is only, not also its rotations and mirror images")
    .action(async (opts: { data: string; host: string; port: number; policy?: string; moderationKey?: string; evidenceRetentionDays?: number; dihedral: boolean }) => {
      // Loaded on demand: the server's dependencies would slow every other command's start-up.
      const { startServer } = await import("@safelight/server");
      const server = await startServer({
        dataDir: resolve(opts.data),
        host: opts.host,
        port: opts.port,
        handleSignals: false,
        ...(opts.policy ? { policyFile: resolve(opts.policy) } : {}),
        ...(opts.moderationKey ? { moderationKeyFile: resolve(opts.moderationKey) } : {}),
        ...(opts.evidenceRetentionDays ? { evidenceRetentionMs: opts.evidenceRetentionDays * 24 * 3600 * 1000 } : {}),
        matchDihedral: opts.dihedral,
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
