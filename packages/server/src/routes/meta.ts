import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { errorResponses } from "../schemas.js";

/** A health check must answer fast, also while the database hangs. */
const PING_TIMEOUT_MS = 2000;

const dependency = {
  type: "object",
  properties: { backend: { type: "string" }, ok: { type: "boolean" } },
  required: ["backend", "ok"],
} as const;
const health = {
  type: "object",
  properties: { status: { type: "string", enum: ["ok", "degraded", "unavailable"] }, database: dependency, signals: dependency, rateLimits: dependency },
  required: ["status", "database", "signals", "rateLimits"],
} as const;

async function databaseAnswers(ctx: ServerContext): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((done) => (timer = setTimeout(() => done(false), PING_TIMEOUT_MS)));
  try {
    return await Promise.race([ctx.storage.ping().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function registerMetaRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // 503 without the database (a load balancer takes the node out until it is back); "degraded" without
  // NATS (messages still arrive, on the client's next queue read instead of by push) or Redis (each node
  // limits on its own meanwhile).
  for (const url of ["/healthz", "/health"]) {
    app.get(url, { schema: { response: { 200: health, 503: health } } }, async (_request, reply) => {
      const database = await databaseAnswers(ctx);
      const signals = ctx.notifier.connected;
      const rateLimits = ctx.rateLimits.connected;
      return reply.status(database ? 200 : 503).send({
        status: !database ? "unavailable" : signals && rateLimits ? "ok" : "degraded",
        database: { backend: ctx.storage.backend, ok: database },
        signals: { backend: ctx.notifier.backend, ok: signals },
        rateLimits: { backend: ctx.rateLimits.backend, ok: rateLimits },
      });
    });
  }

  app.get(
    "/v1/openapi.json",
    { schema: { hide: true, response: { 200: { type: "object", additionalProperties: true }, ...errorResponses } } },
    async () => app.swagger(),
  );
}
