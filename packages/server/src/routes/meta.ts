import type { FastifyInstance } from "fastify";
import { errorResponses } from "../schemas.js";

export function registerMetaRoutes(app: FastifyInstance): void {
  app.get(
    "/healthz",
    {
      schema: {
        response: { 200: { type: "object", properties: { status: { type: "string" } }, required: ["status"] } },
      },
    },
    async () => ({ status: "ok" }),
  );

  app.get(
    "/v1/openapi.json",
    { schema: { hide: true, response: { 200: { type: "object", additionalProperties: true }, ...errorResponses } } },
    async () => app.swagger(),
  );
}
