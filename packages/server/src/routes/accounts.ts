import type { FastifyInstance } from "fastify";
import { toB64 } from "@safelight/protocol";
import type { ServerContext } from "../context.js";
import { ApiError } from "../errors.js";
import { makeAuthHooks } from "../plugins/auth.js";
import { b64, id, object, replies } from "../schemas.js";
import type { AccountRecord } from "../storage/types.js";
import { normalizeName } from "./auth.js";
import { directoryProofSchema } from "./keyTransparency.js";

const accountSchema = object({
  accountId: id,
  name: { type: "string" },
  devices: { type: "array", items: object({ deviceId: id, signatureKey: b64 }) },
  kt: directoryProofSchema,
});

/** The directory entry clients use to authenticate credentials (RFC 9420 §5.3.1), with the key-
 *  transparency proof of every device key in it (docs/key-transparency.md). No birthdate. */
async function directoryEntry(ctx: ServerContext, account: AccountRecord | undefined) {
  if (account === undefined) throw new ApiError("SL_ERR_NOT_FOUND", "no such account");
  return {
    accountId: account.accountId,
    name: account.name,
    devices: account.devices.map((d) => ({ deviceId: d.deviceId, signatureKey: toB64(d.signatureKey) })),
    kt: await ctx.keyTransparency.directoryProof(account.accountId, account.devices.map((d) => d.deviceId), Date.now()),
  };
}

export function registerAccountRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { authenticate } = makeAuthHooks(ctx);

  app.get<{ Params: { name: string } }>(
    "/v1/accounts/by-name/:name",
    {
      onRequest: authenticate,
      schema: {
        params: object({ name: { type: "string", maxLength: 64 } }),
        response: replies(200, accountSchema),
      },
    },
    async (request) => directoryEntry(ctx, await ctx.storage.getAccountByName(normalizeName(request.params.name))),
  );

  app.get<{ Params: { accountId: string } }>(
    "/v1/accounts/:accountId",
    {
      onRequest: authenticate,
      schema: {
        params: object({ accountId: id }),
        response: replies(200, accountSchema),
      },
    },
    async (request) => directoryEntry(ctx, await ctx.storage.getAccountById(request.params.accountId)),
  );
}
