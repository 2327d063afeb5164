import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { caller, makeAuthHooks } from "../plugins/auth.js";
import { object, queueItemSchema, replies } from "../schemas.js";
import { queueItemJson } from "../wire.js";

const MAX_ACK_IDS = 1000;

/** The ids of one acknowledgement, over HTTP or the WebSocket. */
export const ackIdsSchema = { type: "array", maxItems: MAX_ACK_IDS, items: { type: "string", maxLength: 64 } } as const;

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
        response: replies(200, object({ items: { type: "array", items: queueItemSchema } })),
      },
    },
    async (request) => {
      const device = caller(request);
      const items = await ctx.storage.listQueue(device.deviceId, request.query.limit ?? 100);
      return { items: (await ctx.safety.screenQueue(device, items)).map(queueItemJson) };
    },
  );

  app.post<{ Body: { ids: string[] } }>(
    "/v1/queue/ack",
    {
      onRequest: authenticate,
      schema: {
        body: object({ ids: ackIdsSchema }),
        response: replies(200, object({ removed: { type: "integer" } })),
      },
    },
    // The device id in the WHERE clause is what keeps a device from touching another's queue.
    async (request) => ({ removed: await ctx.storage.ackQueue(caller(request).deviceId, request.body.ids) }),
  );
}
