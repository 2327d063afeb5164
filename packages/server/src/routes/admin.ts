/**
 * Known-image administration and figures (docs/known-images.md):
 *   /v1/admin/hash-lists…       import, replace, retire, list (role admin), every change audited
 *   /v1/hash-lists/digest       public: Merkle roots of the active lists (no hashes)
 *   /v1/admin/transparency      counts by period from the audit log (role admin)
 *   /v1/mod/detections, /v1/mod/reports/:id/evidence, /v1/mod/evidence/:id/content   (moderators)
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ServerContext } from "../context.js";
import { HashListError, type ImportInput } from "../detection/hashLists.js";
import type { HashListRecord } from "../storage/detection.js";
import { type Period, transparency } from "../detection/transparency.js";
import { ApiError } from "../errors.js";
import { caller, makeAuthHooks } from "../plugins/auth.js";
import { errorResponses, id, object, replies } from "../schemas.js";

const open = { type: "object", additionalProperties: true } as const;
/** Hash-list imports may be national-list sized (a 1M-row CSV is about 90 MB). */
const MAX_LIST_BODY = 512 * 1024 * 1024;

const importSchema = object(
  {
    name: { type: "string", minLength: 1, maxLength: 200 },
    sourceOrg: { type: "string", minLength: 1, maxLength: 200 },
    threshold: { type: "integer", minimum: 0, maximum: 64 },
    csv: { type: "string" },
    skipInvalid: { type: "boolean" },
  },
  ["threshold", "skipInvalid"],
);

function listJson(l: HashListRecord) {
  return {
    listId: l.listId,
    name: l.name,
    sourceOrg: l.sourceOrg,
    threshold: l.threshold,
    status: l.status,
    hashCount: l.hashCount,
    distinctCount: l.distinctCount,
    importedBy: l.importedBy,
    importedAt: l.importedAt,
    retiredBy: l.retiredBy ?? null,
    retiredAt: l.retiredAt ?? null,
    replaces: l.replaces ?? null,
  };
}

export function registerKnownImageAdminRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { authenticate, anonymous } = makeAuthHooks(ctx);
  const det = ctx.detection;

  const requireRole = (roles: string[]) => async (request: FastifyRequest, _reply: FastifyReply) => {
    const role = await ctx.storage.moderation.getRole(caller(request).accountId);
    if (!roles.includes(role)) throw new ApiError("SL_ERR_FORBIDDEN", `${roles[0]} role required`);
  };
  const admin = { onRequest: authenticate, preHandler: requireRole(["admin"]) };
  const moderator = { onRequest: authenticate, preHandler: requireRole(["moderator", "admin"]) };
  const actor = (request: FastifyRequest) => caller(request).accountId;

  async function imported(request: FastifyRequest, action: string, run: () => ReturnType<typeof det.lists.importList>) {
    let outcome;
    try {
      outcome = await run();
    } catch (err) {
      if (err instanceof HashListError) throw new ApiError("SL_ERR_BAD_REQUEST", err.message, err.errors.length ? { rows: err.errors.slice(0, 100) } : undefined);
      throw err;
    }
    const l = outcome.list;
    await det.audit(action, actor(request), l.listId, { name: l.name, sourceOrg: l.sourceOrg, threshold: l.threshold, hashes: l.hashCount, distinct: l.distinctCount, skipped: outcome.errors.length, replaces: l.replaces });
    return { list: listJson(l), skipped: outcome.errors.slice(0, 100) };
  }

  app.get("/v1/admin/hash-lists", { ...admin, schema: { response: replies(200, open) } }, async () => ({ lists: (await det.store.lists()).map(listJson) }));

  app.post<{ Body: ImportInput }>(
    "/v1/admin/hash-lists",
    { ...admin, bodyLimit: MAX_LIST_BODY, schema: { body: importSchema, response: replies(201, open) } },
    async (request, reply) => {
      const out = await imported(request, "hashlist.import", () => det.lists.importList(request.body, actor(request)));
      return reply.code(201).send(out);
    },
  );

  app.put<{ Params: { listId: string }; Body: ImportInput }>(
    "/v1/admin/hash-lists/:listId",
    { ...admin, bodyLimit: MAX_LIST_BODY, schema: { params: object({ listId: id }), body: importSchema, response: replies(200, open) } },
    async (request) => {
      if ((await det.store.getList(request.params.listId))?.status !== "active") throw new ApiError("SL_ERR_NOT_FOUND", "no such active list");
      return imported(request, "hashlist.replace", () => det.lists.replaceList(request.params.listId, request.body, actor(request)));
    },
  );

  app.post<{ Params: { listId: string } }>(
    "/v1/admin/hash-lists/:listId/retire",
    { ...admin, schema: { params: object({ listId: id }), response: replies(200, open) } },
    async (request) => {
      if (!(await det.lists.retireList(request.params.listId, actor(request)))) throw new ApiError("SL_ERR_NOT_FOUND", "no such active list");
      await det.audit("hashlist.retire", actor(request), request.params.listId, {});
      return { list: listJson((await det.store.getList(request.params.listId))!) };
    },
  );

  // Public: which lists are live, without their hashes.
  app.get("/v1/hash-lists/digest", { onRequest: anonymous, schema: { response: replies(200, open) } }, async () => det.lists.digest());

  app.get<{ Querystring: { period?: Period; from?: number; to?: number } }>(
    "/v1/admin/transparency",
    {
      ...admin,
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { period: { type: "string", enum: ["day", "month"] }, from: { type: "integer", minimum: 0 }, to: { type: "integer", minimum: 0 } },
        },
        response: replies(200, open),
      },
    },
    async (request) => {
      const { period = "month", from = 0, to = Date.now() + 1 } = request.query;
      await det.audit("transparency.view", actor(request), period, { from, to });
      return transparency(ctx.storage, period, from, to);
    },
  );

  // ---- moderators: detection items and evidence ----------------------------------------------------

  app.get("/v1/mod/detections", { ...moderator, schema: { response: replies(200, open) } }, async (request) => {
    await det.audit("detections.list", actor(request), "all", {});
    return { items: await det.store.detectionItems() };
  });

  app.get<{ Params: { reportId: string } }>(
    "/v1/mod/reports/:reportId/evidence",
    { ...moderator, schema: { params: object({ reportId: id }), response: replies(200, open) } },
    async (request) => {
      await det.audit("evidence.list", actor(request), request.params.reportId, {});
      return { detection: (await det.store.detectionItem(request.params.reportId)) ?? null, evidence: await det.evidenceSummary(request.params.reportId) };
    },
  );

  app.get<{ Params: { evidenceId: string } }>(
    "/v1/mod/evidence/:evidenceId/content",
    { ...moderator, schema: { params: object({ evidenceId: id }), response: { ...errorResponses } } },
    async (request, reply) => {
      const opened = await det.vault.open(request.params.evidenceId, actor(request));
      if (!opened) throw new ApiError("SL_ERR_NOT_FOUND", "no such evidence");
      return reply.header("content-type", "application/octet-stream").header("cache-control", "no-store").send(Buffer.from(opened.bytes));
    },
  );
}

