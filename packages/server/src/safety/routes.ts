/**
 * Child-safety endpoints (docs/protocol.md "Message requests, contacts, blocking"; docs/safety.md):
 * the request inbox, contacts, blocks, the inbound setting, and the moderator's view of automatic
 * actions with the route that lifts them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ServerContext } from "../context.js";
import { ApiError } from "../errors.js";
import { caller, makeAuthHooks } from "../plugins/auth.js";
import { id, object, replies } from "../schemas.js";
import type { ActionRecord } from "../storage/safety.js";

const accountParam = object({ accountId: id });
const person = { accountId: id, name: { type: "string" }, since: { type: "integer" } };
const inbound = { type: "string", enum: ["everyone", "teens", "contacts"] } as const;

const actionSchema = object(
  {
    actionId: { type: "string" },
    accountId: id,
    name: { type: "string" },
    action: { type: "string" },
    rule: { type: "string" },
    detail: { type: "string" },
    createdAt: { type: "integer" },
    createdBy: { type: "string" },
    liftedAt: { type: "integer" },
    liftedBy: { type: "string" },
  },
  ["liftedAt", "liftedBy"],
);

export function registerSafetyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { authenticate } = makeAuthHooks(ctx);
  const safety = ctx.safety;
  const nameOf = async (accountId: string) => (await safety.store.account(accountId))?.name ?? accountId;
  const withNames = <T extends { accountId: string }>(list: T[]) => Promise.all(list.map(async (x) => ({ ...x, name: await nameOf(x.accountId) })));
  const known = async (accountId: string) => {
    if ((await safety.store.account(accountId)) === undefined) throw new ApiError("SL_ERR_NOT_FOUND", "no such account");
    return accountId;
  };

  /** Moderators only: the account's role (schema v3). */
  async function requireModerator(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    if (!(await safety.isModerator(caller(request).accountId))) throw new ApiError("SL_ERR_FORBIDDEN", "moderator role required");
  }

  app.get(
    "/v1/requests",
    {
      onRequest: authenticate,
      schema: {
        response: replies(
          200,
          object({
            requests: {
              type: "array",
              items: object({ accountId: id, name: { type: "string" }, createdAt: { type: "integer" }, notices: { type: "array", items: { type: "string" } } }),
            },
          }),
        ),
      },
    },
    async (request) => ({ requests: await safety.requestsFor(caller(request).accountId) }),
  );

  for (const verb of ["accept", "decline"] as const) {
    app.post<{ Params: { accountId: string } }>(
      `/v1/requests/:accountId/${verb}`,
      {
        onRequest: authenticate,
        schema: { params: accountParam, response: replies(200, object({ status: { type: "string" } })) },
      },
      async (request) => {
        const me = caller(request).accountId;
        const other = await known(request.params.accountId);
        if (verb === "accept") await safety.accept(me, other);
        else await safety.decline(me, other);
        return { status: verb === "accept" ? "accepted" : "declined" };
      },
    );
  }

  app.get(
    "/v1/contacts",
    {
      onRequest: authenticate,
      schema: { response: replies(200, object({ contacts: { type: "array", items: object(person) } })) },
    },
    async (request) => ({
      contacts: await withNames(await safety.store.contactsOf(caller(request).accountId)),
    }),
  );

  app.get(
    "/v1/blocks",
    {
      onRequest: authenticate,
      schema: { response: replies(200, object({ blocks: { type: "array", items: object(person) } })) },
    },
    async (request) => ({
      blocks: await withNames(await safety.store.blocksOf(caller(request).accountId)),
    }),
  );

  app.post<{ Body: { accountId: string } }>(
    "/v1/blocks",
    {
      onRequest: authenticate,
      schema: { body: object({ accountId: id }), response: replies(200, object({ blocked: { type: "boolean" } })) },
    },
    async (request) => {
      await safety.block(caller(request).accountId, await known(request.body.accountId));
      return { blocked: true };
    },
  );

  app.delete<{ Params: { accountId: string } }>(
    "/v1/blocks/:accountId",
    {
      onRequest: authenticate,
      schema: { params: accountParam, response: replies(200, object({ unblocked: { type: "boolean" } })) },
    },
    async (request) => ({ unblocked: await safety.unblock(caller(request).accountId, request.params.accountId) }),
  );

  const settingsReply = replies(200, object({ ageBand: { type: "string" }, inbound }));
  const settingsOf = async (accountId: string) => {
    const facts = (await safety.store.account(accountId))!;
    const now = Date.now();
    return { ageBand: safety.band(facts, now), inbound: await safety.inboundOf(facts, now) };
  };
  app.get("/v1/safety/settings", { onRequest: authenticate, schema: { response: settingsReply } }, async (request) =>
    settingsOf(caller(request).accountId),
  );
  app.put<{ Body: { inbound: string } }>(
    "/v1/safety/settings",
    { onRequest: authenticate, schema: { body: object({ inbound }), response: settingsReply } },
    async (request) => {
      const me = caller(request).accountId;
      await safety.store.setInbound(me, request.body.inbound, Date.now());
      return settingsOf(me);
    },
  );

  // ---- moderators ----------------------------------------------------------------------------------------
  const guard = { onRequest: authenticate, preHandler: requireModerator };
  const actionJson = async (a: ActionRecord) => ({
    ...a,
    name: await nameOf(a.accountId),
    ...(a.liftedAt === undefined ? {} : { liftedAt: a.liftedAt }),
    ...(a.liftedBy === undefined ? {} : { liftedBy: a.liftedBy }),
  });

  app.get<{ Querystring: { accountId?: string; active?: boolean; limit?: number } }>(
    "/v1/mod/safety/actions",
    {
      ...guard,
      schema: {
        querystring: object(
          { accountId: id, active: { type: "boolean", default: true }, limit: { type: "integer", minimum: 1, maximum: 500, default: 100 } },
          ["accountId", "active", "limit"],
        ),
        response: replies(200, object({ actions: { type: "array", items: actionSchema } })),
      },
    },
    async (request) => ({
      actions: await Promise.all(
        (await safety.store.listActions(request.query.accountId, request.query.active ?? true, request.query.limit ?? 100)).map(actionJson),
      ),
    }),
  );

  app.post<{ Params: { accountId: string } }>(
    "/v1/mod/accounts/:accountId/restrictions/lift",
    { ...guard, schema: { params: accountParam, response: replies(200, object({ lifted: { type: "integer" } })) } },
    async (request) => {
      const moderator = caller(request).accountId;
      const lifted = await safety.lift(await known(request.params.accountId), moderator);
      await ctx.storage.moderation.audit({
        at: Date.now(),
        actorAccountId: moderator,
        action: "safety.lift",
        subject: request.params.accountId,
        detail: JSON.stringify({ lifted }),
      });
      request.log.info({ accountId: request.params.accountId, moderator, lifted }, "safety actions lifted");
      return { lifted };
    },
  );
}
