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
    .action(async (opts: { data: string; host: string; port: number; policy?: string }) => {
      // Loaded on demand: the server's dependencies would slow every other command's start-up.
      const { startServer } = await import("@safelight/server");
      const server = await startServer({
        dataDir: resolve(opts.data),
        host: opts.host,
        port: opts.port,
        handleSignals: false,
        ...(opts.policy ? { policyFile: resolve(opts.policy) } : {}),
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
