import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { randomId } from "../crypto.js";
import { ApiError } from "../errors.js";
import { caller, makeAuthHooks } from "../plugins/auth.js";
import { errorResponses, object, replies } from "../schemas.js";

const blobIdParam = object({ blobId: { type: "string", pattern: "^[A-Za-z0-9_-]{22}$" } });

/** Attachments: opaque encrypted bytes, streamed to and from the BlobStore (docs/protocol.md, blobs). */
export function registerBlobRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // An encapsulated scope (a Fastify plugin): Fastify has no per-route content-type parser, and the
  // catch-all one below must not reach the JSON routes.
  void app.register(async (scope) => blobRoutes(scope, ctx));
}

async function blobRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const { authenticate } = makeAuthHooks(ctx);
  const max = ctx.config.limits.maxBlobBytes;
  const quota = ctx.config.limits.blobQuotaBytes;

  // Leave the body unread so the handler can stream it.
  app.addContentTypeParser("*", (_request, _payload, done) => done(null));

  app.post(
    "/v1/blobs",
    {
      onRequest: authenticate,
      schema: {
        consumes: ["application/octet-stream"],
        response: replies(201, object({ blobId: { type: "string" }, size: { type: "integer" }, expiresAt: { type: "integer" } })),
      },
    },
    async (request, reply) => {
      const device = caller(request);
      const declared = Number(request.headers["content-length"] ?? "0");
      if (declared > max) {
        reply.header("connection", "close");
        throw new ApiError("SL_ERR_TOO_LARGE", `blob exceeds ${max} bytes`);
      }
      // The per-account quota counts unexpired blobs; an upload may use what is left of it (two uploads
      // at once may each see the same room: the quota is exceeded by at most the uploads in flight).
      const room = quota - (await ctx.storage.blobBytesHeld(device.accountId, Date.now()));
      const overQuota = () => new ApiError("SL_ERR_QUOTA_EXCEEDED", `this account's attachments would exceed its quota of ${quota} bytes`);
      if (declared > room) {
        reply.header("connection", "close");
        throw overQuota();
      }
      const blobId = randomId();
      const written = await ctx.storage.blobs.write(blobId, request.raw, Math.min(max, room)).catch((err: unknown) => {
        // Disk full (or another store failure) mid-upload: the rest of the body is not read; the error
        // handler answers disk full with SL_ERR_STORAGE_FULL (asApiError).
        reply.header("connection", "close");
        throw err;
      });
      if (!written.ok) {
        reply.header("connection", "close");
        if (written.reason === "too-large") throw room < max ? overQuota() : new ApiError("SL_ERR_TOO_LARGE", `blob exceeds ${max} bytes`);
        throw new ApiError("SL_ERR_BAD_REQUEST", "upload aborted");
      }
      const now = Date.now();
      const expiresAt = now + ctx.config.blobRetentionMs;
      try {
        await ctx.storage.putBlob({ blobId, accountId: device.accountId, size: written.size, createdAt: now, expiresAt });
      } catch (err) {
        await ctx.storage.blobs.delete([blobId]); // no record, no blob: nothing half-stored stays behind
        throw err;
      }
      request.log.info({ blobId, size: written.size, accountId: device.accountId }, "blob stored");
      return reply.status(201).send({ blobId, size: written.size, expiresAt });
    },
  );

  app.get<{ Params: { blobId: string } }>(
    "/v1/blobs/:blobId",
    {
      onRequest: authenticate,
      schema: { params: blobIdParam, produces: ["application/octet-stream"], response: { ...errorResponses } },
    },
    async (request, reply) => {
      // Any authenticated device may fetch: the id is unguessable and the bytes are encrypted.
      const blob = await ctx.storage.getBlob(request.params.blobId, Date.now());
      if (blob === undefined) throw new ApiError("SL_ERR_NOT_FOUND", "no such blob");
      await ctx.safety.checkBlobDownload(caller(request).accountId, blob.accountId); // withheld while a request is pending
      const bytes = await ctx.storage.blobs.read(blob.blobId);
      if (bytes === undefined) throw new ApiError("SL_ERR_NOT_FOUND", "no such blob"); // expired and swept meanwhile
      return reply.header("content-type", "application/octet-stream").header("content-length", blob.size).send(bytes);
    },
  );
}
