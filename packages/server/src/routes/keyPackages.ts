import type { FastifyInstance } from "fastify";
import { toB64 } from "@safelight/protocol";
import { authenticateKeyPackage } from "../authService.js";
import type { ServerContext } from "../context.js";
import { ApiError } from "../errors.js";
import { readMls } from "../mlsInput.js";
import { caller, makeAuthHooks } from "../plugins/auth.js";
import { b64, id, object, replies } from "../schemas.js";
import type { DeviceRef } from "../storage/types.js";
import { directoryProofSchema } from "./keyTransparency.js";

const MAX_UPLOAD = 200;

/** Decodes and validates one uploaded KeyPackage (RFC 9420 §10) for the uploading device. */
async function validated(ctx: ServerContext, value: string, field: string, device: DeviceRef): Promise<Uint8Array> {
  const { bytes, info } = readMls(value, field, "key_package");
  if (info.keyPackage === undefined) throw new ApiError("SL_ERR_BAD_MLS", `${field} is not a KeyPackage`);
  await authenticateKeyPackage(ctx.storage, info.keyPackage, device);
  return bytes;
}

export function registerKeyPackageRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { authenticate } = makeAuthHooks(ctx);

  app.post<{ Body: { keyPackages: string[]; lastResort?: string } }>(
    "/v1/key-packages",
    {
      onRequest: authenticate,
      schema: {
        body: object({ keyPackages: { type: "array", maxItems: MAX_UPLOAD, items: b64 }, lastResort: b64 }, ["lastResort"]),
        response: replies(200, object({ stored: { type: "integer" }, available: { type: "integer" } })),
      },
    },
    async (request) => {
      const device = caller(request);
      const { keyPackages, lastResort } = request.body;
      // Validate everything before storing anything: one bad package rejects the whole upload.
      const oneTime: Uint8Array[] = [];
      for (const [i, kp] of keyPackages.entries()) oneTime.push(await validated(ctx, kp, `keyPackages[${i}]`, device));
      const last = lastResort === undefined ? undefined : await validated(ctx, lastResort, "lastResort", device);
      const result = await ctx.storage.addKeyPackages(device, oneTime, last);
      request.log.info({ deviceId: device.deviceId, stored: result.stored }, "key packages stored");
      return result;
    },
  );

  app.get(
    "/v1/key-packages/count",
    {
      onRequest: authenticate,
      schema: { response: replies(200, object({ available: { type: "integer" }, lastResort: { type: "boolean" } })) },
    },
    async (request) => ctx.storage.countKeyPackages(caller(request).deviceId),
  );

  app.post<{ Body: { accountId: string; excludeDeviceId?: string } }>(
    "/v1/key-packages/claim",
    {
      onRequest: authenticate,
      schema: {
        body: object({ accountId: id, excludeDeviceId: id }, ["excludeDeviceId"]),
        response: replies(
          200,
          object({ keyPackages: { type: "array", items: object({ accountId: id, deviceId: id, keyPackage: b64 }) }, kt: directoryProofSchema }),
        ),
      },
    },
    async (request) => {
      const { accountId, excludeDeviceId } = request.body;
      if ((await ctx.storage.getAccountById(accountId)) === undefined) {
        throw new ApiError("SL_ERR_NOT_FOUND", "no such account");
      }
      await ctx.safety.beforeClaim(caller(request), accountId); // contact rules, message requests (docs/safety.md)
      const claimed = await ctx.storage.claimKeyPackages(accountId, excludeDeviceId);
      request.log.info({ accountId, claimed: claimed.length }, "key packages claimed");
      return {
        keyPackages: claimed.map((c) => ({ accountId: c.accountId, deviceId: c.deviceId, keyPackage: toB64(c.keyPackage) })),
        kt: await ctx.keyTransparency.directoryProof(accountId, claimed.map((c) => c.deviceId), Date.now()),
      };
    },
  );
}
