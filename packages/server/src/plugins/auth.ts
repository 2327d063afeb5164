import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { fromB64 } from "@safelight/protocol";
import type { RateLimits } from "../backends.js";
import type { ServerContext } from "../context.js";
import type { RateLimiter } from "../rateLimit.js";
import { sha256 } from "../crypto.js";
import { ApiError } from "../errors.js";
import type { DeviceRef } from "../storage/types.js";

declare module "fastify" {
  interface FastifyRequest {
    device: DeviceRef | null;
  }
}

/** Bearer token from the Authorization header, or `?token=` (browsers cannot set WS headers). */
function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === "string") {
    const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(header.trim());
    return m?.[1];
  }
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.token === "string" ? query.token : undefined;
}

/**
 * onRequest hooks: run before the body is read, so an unauthenticated or rate-limited caller
 * never gets a body parsed or a blob streamed to disk.
 */
export function makeAuthHooks(ctx: ServerContext) {
  async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const token = tokenOf(request);
    const raw = token === undefined ? undefined : fromB64(token);
    if (raw === undefined || raw.length !== 32) throw new ApiError("SL_ERR_UNAUTHENTICATED", "missing or malformed token");
    const session = await ctx.storage.findSession(sha256(raw), Date.now());
    if (session === undefined) throw new ApiError("SL_ERR_UNAUTHENTICATED", "unknown or expired token");
    if (!(await ctx.rateLimits.account.take(session.accountId))) throw new ApiError("SL_ERR_RATE_LIMITED", "too many requests");
    request.device = { accountId: session.accountId, deviceId: session.deviceId };
    request.log.debug({ accountId: session.accountId, deviceId: session.deviceId }, "authenticated");
  }

  async function anonymous(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    if (!(await ctx.rateLimits.anon.take(request.ip))) throw new ApiError("SL_ERR_RATE_LIMITED", "too many requests");
  }

  /** A route's own bucket on top of the general one (registrations, link codes): `key` picks the
   *  account or address it counts against. */
  function bucket(limiter: (l: RateLimits) => RateLimiter, key: (request: FastifyRequest) => string) {
    return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
      if (!(await limiter(ctx.rateLimits).take(key(request)))) throw new ApiError("SL_ERR_RATE_LIMITED", "too many requests");
    };
  }

  return { authenticate, anonymous, bucket };
}

export function installAuth(app: FastifyInstance): void {
  app.decorateRequest("device", null);
}

/** The authenticated device; only valid on routes that ran `authenticate`. */
export function caller(request: FastifyRequest): DeviceRef {
  if (request.device === null) throw new ApiError("SL_ERR_UNAUTHENTICATED", "not authenticated");
  return request.device;
}
