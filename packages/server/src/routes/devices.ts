/**
 * The caller's own devices: list them, and remove one (a lost phone). Removal is asked by another device
 * of the same account, never by the device itself: the remover then commits the MLS Removes of the
 * removed device's leaves (RFC 9420 §12.1.3), which a member cannot do for its own leaf, and an account
 * always keeps a device (docs/protocol.md, "Devices").
 */
import type { FastifyInstance } from "fastify";
import { toB64 } from "@safelight/protocol";
import type { ServerContext } from "../context.js";
import { ApiError } from "../errors.js";
import { caller, makeAuthHooks } from "../plugins/auth.js";
import { b64, id, object, replies } from "../schemas.js";

const deviceSchema = object({ deviceId: id, signatureKey: b64, createdAt: { type: "integer" }, current: { type: "boolean" } });

export function registerDeviceRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { authenticate } = makeAuthHooks(ctx);

  app.get(
    "/v1/devices",
    { onRequest: authenticate, schema: { response: replies(200, object({ devices: { type: "array", items: deviceSchema } })) } },
    async (request) => {
      const me = caller(request);
      const account = await ctx.storage.getAccountById(me.accountId);
      return {
        devices: (account?.devices ?? []).map((d) => ({
          deviceId: d.deviceId,
          signatureKey: toB64(d.signatureKey),
          createdAt: d.createdAt,
          current: d.deviceId === me.deviceId,
        })),
      };
    },
  );

  app.delete<{ Params: { deviceId: string } }>(
    "/v1/devices/:deviceId",
    {
      onRequest: authenticate,
      schema: {
        params: object({ deviceId: id }),
        response: replies(200, object({ deviceId: id, revokedAt: { type: "integer" } })),
      },
    },
    async (request) => {
      const me = caller(request);
      const { deviceId } = request.params;
      if (deviceId === me.deviceId) {
        throw new ApiError("SL_ERR_BAD_REQUEST", "a device cannot remove itself: remove it from another device of the account");
      }
      // Another account's device is "no such device" too: whether it exists is not this caller's business.
      const now = Date.now();
      await ctx.storage.revokeDevice({ accountId: me.accountId, deviceId }, now);
      ctx.notifier.broadcast("device-revoked", deviceId);
      request.log.info({ accountId: me.accountId, deviceId, by: me.deviceId }, "device removed");
      return { deviceId, revokedAt: now };
    },
  );
}
