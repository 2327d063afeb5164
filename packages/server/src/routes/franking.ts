import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { replies } from "../schemas.js";

/** GET /v1/franking/keys: the public keys recipients check server franks with (docs/franking.md). */
export function registerFrankingRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get(
    "/v1/franking/keys",
    {
      schema: {
        response: replies(200, {
          type: "object",
          properties: {
            keys: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  keyId: { type: "string" },
                  publicKey: { type: "string" },
                  createdAt: { type: "integer" },
                  retiredAt: { type: "integer" },
                },
                required: ["keyId", "publicKey", "createdAt"],
              },
            },
          },
          required: ["keys"],
        }),
      },
    },
    async () => ({ keys: await ctx.franking.publicKeys(Date.now()) }),
  );
}
