import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { replies } from "../schemas.js";

/** Most entries one GET /v1/kt/entries returns; an auditor pages through the log. */
const MAX_ENTRIES = 1000;

const head = {
  type: "object",
  properties: {
    treeSize: { type: "integer" },
    timestamp: { type: "integer" },
    rootHash: { type: "string" },
    signature: { type: "string" },
    keyId: { type: "string" },
  },
  required: ["treeSize", "timestamp", "rootHash", "signature", "keyId"],
} as const;
const entry = {
  type: "object",
  properties: {
    accountId: { type: "string" },
    deviceId: { type: "string" },
    action: { type: "string" },
    publicKey: { type: "string" },
    time: { type: "integer" },
  },
  required: ["accountId", "deviceId", "action", "publicKey", "time"],
} as const;
const proof = { type: "object", properties: { proof: { type: "array", items: { type: "string" } } }, required: ["proof"] } as const;
const size = { type: "integer", minimum: 0 } as const;

/** The key-transparency log (docs/key-transparency.md), public like the franking keys so anyone can audit. */
export function registerKeyTransparencyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const log = ctx.keyTransparency;
  app.get("/v1/kt/head", { schema: { response: replies(200, head) } }, async () => log.head(Date.now()));

  app.get<{ Querystring: { start: number; end: number } }>(
    "/v1/kt/entries",
    {
      schema: {
        querystring: { type: "object", additionalProperties: false, properties: { start: size, end: size }, required: ["start", "end"] },
        response: replies(200, { type: "object", properties: { entries: { type: "array", items: entry } }, required: ["entries"] }),
      },
    },
    async (request) => {
      const { start, end } = request.query;
      return { entries: await log.entries(start, Math.min(end, start + MAX_ENTRIES)) };
    },
  );

  app.get<{ Querystring: { first: number; second: number } }>(
    "/v1/kt/consistency",
    {
      schema: {
        querystring: { type: "object", additionalProperties: false, properties: { first: size, second: size }, required: ["first", "second"] },
        response: replies(200, proof),
      },
    },
    async (request) => ({ proof: await log.consistency(request.query.first, request.query.second) }),
  );

  app.get<{ Querystring: { index: number; treeSize: number } }>(
    "/v1/kt/inclusion",
    {
      schema: {
        querystring: { type: "object", additionalProperties: false, properties: { index: size, treeSize: size }, required: ["index", "treeSize"] },
        response: replies(200, proof),
      },
    },
    async (request) => ({ proof: await log.inclusion(request.query.index, request.query.treeSize) }),
  );
}
