/**
 * Profile and group pictures (docs/known-images.md): the server sees these in the clear, so each is checked
 * against the known-image hash lists before anyone else can fetch it.
 *
 *   PUT /v1/profile/picture            raw image body → 200 {status:"ok"} | 202 {status:"pending"} | 422 refused
 *   GET /v1/accounts/:accountId/picture  only once the check passed (pending/refused/none → 404)
 *   PUT /v1/groups/:groupId/picture    same, for a group, by a member
 *   GET /v1/groups/:groupId/picture    members only
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ServerContext } from "../context.js";
import { ApiError } from "../errors.js";
import { caller, makeAuthHooks } from "../plugins/auth.js";
import { b64, errorResponses, id, object, replies } from "../schemas.js";
import { b64Field } from "../wire.js";

const IMAGE_TYPES = /^image\/(jpeg|png|webp|gif|x-portable-pixmap|x-portable-graymap)$/;

export function registerProfileRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // An encapsulated scope (a Fastify plugin): Fastify has no per-route content-type parser, and
  // `application/octet-stream` as a buffer is these routes' parser, not the blob upload's stream.
  void app.register(async (scope) => profileRoutes(scope, ctx));
}

async function profileRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const { authenticate } = makeAuthHooks(ctx);
  const max = ctx.config.maxPictureBytes;

  // Images arrive as raw bytes.
  for (const type of ["image/jpeg", "image/png", "image/webp", "image/gif", "image/x-portable-pixmap", "image/x-portable-graymap", "application/octet-stream"]) {
    app.addContentTypeParser(type, { parseAs: "buffer", bodyLimit: max }, (_request, body, done) => done(null, body));
  }

  async function upload(request: FastifyRequest, reply: FastifyReply, ownerKind: "account" | "group", ownerId: string) {
    const body = request.body;
    if (!Buffer.isBuffer(body) || body.length === 0) throw new ApiError("SL_ERR_BAD_REQUEST", "expected the image bytes as the body");
    const type = String(request.headers["content-type"] ?? "application/octet-stream").split(";")[0]!.trim().toLowerCase();
    const verdict = ctx.detection.submitPicture(ownerKind, ownerId, caller(request).accountId, IMAGE_TYPES.test(type) ? type : "application/octet-stream", new Uint8Array(body));
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      verdict,
      new Promise<"pending">((resolve) => {
        timer = setTimeout(() => resolve("pending"), ctx.config.pictureCheckWaitMs);
      }),
    ]).finally(() => clearTimeout(timer));
    request.log.info({ ownerKind, size: body.length, verdict: waited }, "picture upload");
    // A neutral answer: the uploader is not told which list matched, or that any list exists.
    if (waited === "refused") throw new ApiError("SL_ERR_IMAGE_REFUSED", "this image could not be accepted");
    if (waited === "invalid") throw new ApiError("SL_ERR_UNSUPPORTED_MEDIA_TYPE", "not an image this server accepts (JPEG, PNG, WebP, GIF, PPM/PGM within the pixel limit)");
    return reply.code(waited === "pending" ? 202 : 200).send({ status: waited });
  }

  async function serve(reply: FastifyReply, ownerKind: "account" | "group", ownerId: string) {
    const picture = await ctx.detection.store.getPicture(ownerKind, ownerId);
    // Never shown before the check passed.
    if (!picture || picture.status !== "ok" || !picture.data) throw new ApiError("SL_ERR_NOT_FOUND", "no picture");
    return reply.header("content-type", picture.contentType).header("cache-control", "private, no-store").send(Buffer.from(picture.data));
  }

  async function requireMember(request: FastifyRequest, groupId: string): Promise<void> {
    const group = await ctx.storage.getGroup(b64Field(groupId, "groupId"));
    if (!group) throw new ApiError("SL_ERR_NOT_FOUND", "no such group");
    if (!group.members.some((m) => m.accountId === caller(request).accountId)) throw new ApiError("SL_ERR_FORBIDDEN", "not a member of this group");
  }

  const status = replies(200, object({ status: { type: "string" } }));
  const uploadSchema = { response: { ...status, 202: object({ status: { type: "string" } }) } };

  app.put("/v1/profile/picture", { onRequest: authenticate, bodyLimit: max, schema: uploadSchema }, (request, reply) =>
    upload(request, reply, "account", caller(request).accountId),
  );

  app.get<{ Params: { accountId: string } }>(
    "/v1/accounts/:accountId/picture",
    { onRequest: authenticate, schema: { params: object({ accountId: id }), response: { ...errorResponses } } },
    async (request, reply) => serve(reply, "account", request.params.accountId),
  );

  app.put<{ Params: { groupId: string } }>(
    "/v1/groups/:groupId/picture",
    { onRequest: authenticate, bodyLimit: max, schema: { params: object({ groupId: b64 }), ...uploadSchema } },
    async (request, reply) => {
      await requireMember(request, request.params.groupId);
      return upload(request, reply, "group", request.params.groupId);
    },
  );

  app.get<{ Params: { groupId: string } }>(
    "/v1/groups/:groupId/picture",
    { onRequest: authenticate, schema: { params: object({ groupId: b64 }), response: { ...errorResponses } } },
    async (request, reply) => {
      await requireMember(request, request.params.groupId);
      return serve(reply, "group", request.params.groupId);
    },
  );
}
