import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { object, replies } from "../schemas.js";

/** Most entries one GET /v1/kt/entries returns; an auditor pages through the log. */
const MAX_ENTRIES = 1000;

const size = { type: "integer", minimum: 0 } as const;
const string = { type: "string" } as const;
const integer = { type: "integer" } as const;
const head = object({ treeSize: integer, timestamp: integer, rootHash: string, signature: string, keyId: string });

/** The proof a directory answer carries: a signed head and each served device's `add` entry under it. */
export const directoryProofSchema = object({
  head,
  devices: {
    type: "array",
    items: object({ deviceId: string, index: integer, time: integer, proof: { type: "array", items: string } }),
  },
});
const entry = object({ accountId: string, deviceId: string, action: string, publicKey: string, time: integer });
const proof = object({ proof: { type: "array", items: string } });

/** The key-transparency log (docs/key-transparency.md), public like the franking keys so anyone can audit. */
export function registerKeyTransparencyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const log = ctx.keyTransparency;
  app.get("/v1/kt/head", { schema: { response: replies(200, head) } }, async () => log.head(Date.now()));

  app.get<{ Querystring: { start: number; end: number } }>(
    "/v1/kt/entries",
    {
      schema: {
        querystring: object({ start: size, end: size }),
        response: replies(200, object({ entries: { type: "array", items: entry } })),
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
        querystring: object({ first: size, second: size }),
        response: replies(200, proof),
      },
    },
    async (request) => ({ proof: await log.consistency(request.query.first, request.query.second) }),
  );

  app.get<{ Querystring: { index: number; treeSize: number } }>(
    "/v1/kt/inclusion",
    {
      schema: {
        querystring: object({ index: size, treeSize: size }),
        response: replies(200, proof),
      },
    },
    async (request) => ({ proof: await log.inclusion(request.query.index, request.query.treeSize) }),
  );
}
