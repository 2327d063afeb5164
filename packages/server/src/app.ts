import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import fastifySwagger from "@fastify/swagger";
import fastifyWebsocket from "@fastify/websocket";
import { startSweeper } from "./blobs/sweeper.js";
import { resolveConfig, type ServerOptions } from "./config.js";
import type { ServerContext } from "./context.js";
import { installAuth } from "./plugins/auth.js";
import { installErrorHandler } from "./plugins/errorHandler.js";
import type { Notifier } from "./realtime/notifier.js";
import { openNotifier, openRateLimits, openStorage } from "./backends.js";
import { FrankingService } from "./franking.js";
import { KeyTransparencyLog } from "./keyTransparency.js";
import { DetectionService } from "./detection/service.js";
import { registerKnownImageAdminRoutes } from "./routes/admin.js";
import { registerProfileRoutes } from "./routes/profile.js";
import { registerAccountRoutes } from "./routes/accounts.js";
import { registerDeviceRoutes } from "./routes/devices.js";
import { registerFrankingRoutes } from "./routes/franking.js";
import { registerKeyTransparencyRoutes } from "./routes/keyTransparency.js";
import { registerModerationRoutes } from "./routes/moderation.js";
import { registerReportRoutes } from "./routes/reports.js";
import { registerAuthRoutes } from "./routes/auth.js";
import { registerBlobRoutes } from "./routes/blobs.js";
import { registerGroupRoutes } from "./routes/groups.js";
import { registerKeyPackageRoutes } from "./routes/keyPackages.js";
import { registerMetaRoutes } from "./routes/meta.js";
import { registerQueueRoutes } from "./routes/queue.js";
import { loadPolicy, resolvePolicy, type SafetyPolicy } from "./safety/policy.js";
import { registerSafetyRoutes } from "./safety/routes.js";
import { SafetyService } from "./safety/service.js";
import { registerWsRoutes } from "./routes/ws.js";
import type { Storage } from "./storage/types.js";

export interface AppOptions extends ServerOptions {
  /** false = silent; true = info level; or pino options. Payloads and tokens are never logged. */
  logger?: boolean | { level?: string };
  /** Swap in another storage or fan-out (defaults: from `databaseUrl` and `natsUrl`, see backends.ts). */
  storage?: Storage;
  notifier?: Notifier;
  /** Swap in another franking service (it must use the same storage; bench:messaging measures with it). */
  franking?: FrankingService;
  /** Swap in another key-transparency log over the app's storage and franking (bench:kt measures with it). */
  keyTransparency?: (storage: Storage, franking: FrankingService) => KeyTransparencyLog;
  /** Child-safety policy JSON file (docs/safety.md); default `<dataDir>/safety-policy.json` if present. */
  policyFile?: string;
  /** Or the policy itself (merged over the defaults); wins over `policyFile`. */
  safetyPolicy?: Partial<SafetyPolicy>;
}

/** Logs ids, lengths and paths only: no query strings (they may hold `?token=`), no headers. */
function loggerOptions(logger: AppOptions["logger"]): FastifyServerOptions["logger"] {
  if (logger === false) return false;
  const level = logger === true || logger === undefined ? "info" : (logger.level ?? "info");
  return {
    level,
    redact: { paths: ["req.headers.authorization", "headers.authorization", "*.token"], censor: "[redacted]" },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        path: req.url.split("?")[0],
        id: req.id,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/** Builds the Fastify app with every route; does not listen. Close it to close the database. */
export async function buildApp(options: AppOptions = {}): Promise<FastifyInstance> {
  const config = resolveConfig(options);
  const storage = options.storage ?? (await openStorage(config));
  const notifier = options.notifier ?? (await openNotifier(config, storage));
  const policy = options.safetyPolicy ? resolvePolicy(options.safetyPolicy) : loadPolicy(options.policyFile, config.dataDir);
  const franking = options.franking ?? new FrankingService(storage, config.frankingKeyRotationMs, () => notifier.broadcast("franking-keys", "rotated"));
  const ctx: ServerContext = {
    config,
    storage,
    notifier,
    rateLimits: openRateLimits(config),
    franking,
    keyTransparency: options.keyTransparency?.(storage, franking) ?? new KeyTransparencyLog(storage, franking),
    safety: new SafetyService(storage.safety, policy, notifier),
    detection: await DetectionService.open(
      {
        dataDir: config.dataDir,
        moderationKeyFile: config.moderationKeyFile,
        evidenceRetentionMs: config.evidenceRetentionMs,
        maxPicturePixels: config.maxPicturePixels,
        matchDihedral: config.matchDihedral,
        checkConcurrency: 2,
        espName: "Safelight",
      },
      storage,
      notifier,
    ),
  };

  const app = Fastify({
    logger: loggerOptions(options.logger),
    bodyLimit: config.limits.maxJsonBytes,
    // Fastify's default 1 MiB+ JSON handling is what we want; make __proto__ keys an error.
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    ajv: { customOptions: { removeAdditional: false, coerceTypes: "array", allErrors: false } },
    return503OnClosing: true,
    // Slow requests (slowloris): headers, and the whole request, must arrive in time; Node checks every
    // connectionsCheckingInterval, so check often enough for the limits to bite close to their value.
    requestTimeout: config.limits.requestTimeoutMs,
    http: {
      headersTimeout: config.limits.headersTimeoutMs,
      requestTimeout: config.limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, config.limits.headersTimeoutMs / 4)),
    },
  });

  installErrorHandler(app);
  installAuth(app);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.0.3",
      info: { title: "Safelight delivery service", version: "1" },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
  });
  await app.register(fastifyWebsocket, {
    options: { maxPayload: 1024 * 1024 },
    // 1001 "going away" tells clients this is a restart, not an error: reconnect and resync.
    preClose(done) {
      for (const client of app.websocketServer.clients) client.close(1001, "server shutting down");
      app.websocketServer.close(() => done());
    },
  });

  // Every route module registers the same way; the two that need their own content-type parsers open
  // their own Fastify scope inside (routes/blobs.ts, routes/profile.ts).
  const routeModules = [
    registerMetaRoutes,
    registerAuthRoutes,
    registerAccountRoutes,
    registerDeviceRoutes,
    registerKeyPackageRoutes,
    registerGroupRoutes,
    registerQueueRoutes,
    registerWsRoutes,
    registerFrankingRoutes,
    registerKeyTransparencyRoutes,
    registerReportRoutes,
    registerModerationRoutes,
    registerSafetyRoutes,
    registerKnownImageAdminRoutes,
    registerProfileRoutes,
    registerBlobRoutes,
  ];
  for (const register of routeModules) register(app, ctx);
  await app.register((await import("./plugins/webApp.js")).webApp); // the web app at / (packages/web/dist)

  const stopSweeper = startSweeper(ctx, app.log);
  const unwatchKeys = notifier.onSignal("franking-keys", () => ctx.franking.invalidate());
  const unwatchSafety = notifier.onSignal("safety", () => ctx.safety.invalidate());
  app.addHook("onClose", async () => {
    stopSweeper();
    unwatchKeys();
    unwatchSafety();
    ctx.detection.close();
    await ctx.notifier.close();
    await ctx.rateLimits.close();
    await storage.close();
  });
  return app;
}
