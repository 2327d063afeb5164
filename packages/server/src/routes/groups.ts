import type { FastifyInstance } from "fastify";
import { toB64 } from "@safelight/protocol";
import type { ServerContext } from "../context.js";
import { acceptApplication, acceptCommit, checkGroupId, requireMember } from "../delivery.js";
import { caller, makeAuthHooks } from "../plugins/auth.js";
import { b64, id, object, replies } from "../schemas.js";
import { b64Field } from "../wire.js";

// 16–64 bytes of base64url without padding is 22–86 characters.
const groupIdParam = object({ groupId: { type: "string", pattern: "^[A-Za-z0-9_-]{22,86}$" } });

const mlsB64 = { ...b64, minLength: 1 } as const;

type GroupParams = { Params: { groupId: string } };

function groupIdOf(value: string): Uint8Array {
  return checkGroupId(b64Field(value, "groupId"));
}

export function registerGroupRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { authenticate } = makeAuthHooks(ctx);

  app.post<{ Body: { groupId: string } }>(
    "/v1/groups",
    {
      onRequest: authenticate,
      schema: {
        body: object({ groupId: b64 }),
        response: replies(201, object({ groupId: b64, epoch: { type: "integer" } })),
      },
    },
    async (request, reply) => {
      const groupId = groupIdOf(request.body.groupId);
      await ctx.storage.createGroup(groupId, caller(request), Date.now());
      return reply.status(201).send({ groupId: toB64(groupId), epoch: 0 });
    },
  );

  app.get<GroupParams>(
    "/v1/groups/:groupId",
    {
      onRequest: authenticate,
      schema: {
        params: groupIdParam,
        response: replies(
          200,
          object({
            groupId: b64,
            epoch: { type: "integer" },
            members: { type: "array", items: object({ leaf: { type: "integer" }, accountId: id, deviceId: id }) },
          }),
        ),
      },
    },
    async (request) => {
      const group = await requireMember(ctx, groupIdOf(request.params.groupId), caller(request));
      return { groupId: toB64(group.groupId), epoch: group.epoch, members: group.members };
    },
  );

  app.post<GroupParams & { Body: { commit: string; welcome?: string } }>(
    "/v1/groups/:groupId/commits",
    {
      onRequest: authenticate,
      schema: {
        params: groupIdParam,
        body: object({ commit: mlsB64, welcome: mlsB64 }, ["welcome"]),
        response: replies(200, object({ id: { type: "string" }, epoch: { type: "integer" } })),
      },
    },
    async (request) => {
      const device = caller(request);
      const result = await acceptCommit(
        ctx,
        device,
        groupIdOf(request.params.groupId),
        request.body.commit,
        request.body.welcome,
      );
      request.log.info({ deviceId: device.deviceId, epoch: result.epoch, id: result.id }, "commit accepted");
      return result;
    },
  );

  app.post<GroupParams & { Body: { message: string } }>(
    "/v1/groups/:groupId/messages",
    {
      onRequest: authenticate,
      schema: {
        params: groupIdParam,
        body: object({ message: mlsB64 }),
        response: replies(200, object({ id: { type: "string" }, acceptedRequestFrom: { type: "string" } }, ["acceptedRequestFrom"])),
      },
    },
    async (request) => acceptApplication(ctx, caller(request), groupIdOf(request.params.groupId), request.body.message),
  );
}
