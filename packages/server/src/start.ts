import type { FastifyInstance } from "fastify";
import { buildApp, type AppOptions } from "./app.js";
import { resolveConfig } from "./config.js";

export interface StartOptions extends AppOptions {
  /** Close gracefully and exit on SIGTERM/SIGINT (default true; tests pass false). */
  handleSignals?: boolean;
}

export interface RunningServer {
  /** `http://host:port` with the real port (also when started with port 0). */
  url: string;
  port: number;
  app: FastifyInstance;
  /** Stops accepting, closes WebSockets, lets in-flight requests finish, closes the database. */
  close(): Promise<void>;
}

/** Listens and resolves once the server accepts connections. */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = resolveConfig(options);
  const app = await buildApp(options);
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;

  let closing: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    app.log.info({ signal }, "shutting down");
    void close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  const close = (): Promise<void> => {
    closing ??= (async () => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      await app.close();
    })();
    return closing;
  };
  if (options.handleSignals !== false) {
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }
  return { url: `http://${host}:${port}`, port, app, close };
}
