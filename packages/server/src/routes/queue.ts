import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { caller, makeAuthHooks } from "../plugins/auth.js";
import { errorResponses, queueItemSchema } from "../schemas.js";
import { queueItemJson } from "../wire.js";

export const MAX_ACK_IDS = 1000;

export function registerQueueRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { authenticate } = makeAuthHooks(ctx);

  app.get<{ Querystring: { limit?: number } }>(
    "/v1/queue",
    {
      onRequest: authenticate,
      schema: {
        querystring: {
          type: "object",
          properties: { limit: { type: "integer", minimum: 1, maximum: 500, default: 100 }, token: { type: "string" } },
        },
        response: {
          200: { type: "object", properties: { items: { type: "array", items: queueItemSchema } }, required: ["items"] },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const items = await ctx.storage.listQueue(caller(request).deviceId, request.query.limit ?? 100);
      return { items: items.map(queueItemJson) };
    },
  );

  app.post<{ Body: { ids: string[] } }>(
    "/v1/queue/ack",
    {
      onRequest: authenticate,
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          properties: { ids: { type: "array", maxItems: MAX_ACK_IDS, items: { type: "string", maxLength: 64 } } },
          required: ["ids"],
        },
        response: {
          200: { type: "object", properties: { removed: { type: "integer" } }, required: ["removed"] },
          ...errorResponses,
        },
      },
    },
    // The device id in the WHERE clause is what keeps a device from touching another's queue.
    async (request) => ({ removed: await ctx.storage.ackQueue(caller(request).deviceId, request.body.ids) }),
  );
}
