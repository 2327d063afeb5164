import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ServerContext } from "../context.js";
import { randomId, sha256 } from "../crypto.js";
import { ApiError } from "../errors.js";
import { caller, makeAuthHooks } from "../plugins/auth.js";
import { b64, emptyBody, expiringSecret, id, object, replies, sessionSchema } from "../schemas.js";
import { checkProof, newSession, signatureKeyField } from "../session.js";

const NAME = /^[a-z0-9_]{2,32}$/;
// Earliest time zone is UTC+14: "today" there is the latest birthdate that is not in the future.
const LATEST_ZONE_MS = 14 * 60 * 60 * 1000;

/** Case-folds and checks an account name; 400 if it does not fit `^[a-z0-9_]{2,32}$`. */
export function normalizeName(name: string): string {
  const folded = name.toLowerCase();
  if (!NAME.test(folded)) throw new ApiError("SL_ERR_BAD_REQUEST", "name must match ^[a-z0-9_]{2,32}$");
  return folded;
}

function checkBirthdate(value: string, now: number): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const d = m && new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  // Round-tripping rejects 2023-02-30 and friends, which Date silently rolls over.
  if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value || Number(m[1]) < 1900) {
    throw new ApiError("SL_ERR_BAD_REQUEST", "birthdate must be a valid YYYY-MM-DD date");
  }
  if (value > new Date(now + LATEST_ZONE_MS).toISOString().slice(0, 10)) {
    throw new ApiError("SL_ERR_BAD_REQUEST", "birthdate is in the future");
  }
  return value;
}

/** `{}`-bodied endpoints also accept no body at all: a bare POST is an honest empty request. */
async function defaultEmptyBody(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}

const proofFields = { challenge: { type: "string", minLength: 1, maxLength: 128 }, signature: b64 } as const;

export function registerAuthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { authenticate, anonymous, bucket } = makeAuthHooks(ctx);
  // Floods of registrations and link codes (docs/server.md, limits): per address, and per account for codes made.
  const registrations = bucket((l) => l.registration, (r) => r.ip);
  const codesMade = bucket((l) => l.linkCode, (r) => `acct:${caller(r).accountId}`);
  const codesTried = bucket((l) => l.linkCode, (r) => `ip:${r.ip}`);

  app.post(
    "/v1/auth/challenge",
    {
      onRequest: anonymous,
      preValidation: defaultEmptyBody,
      schema: { body: emptyBody, response: expiringSecret("challenge") },
    },
    async () => {
      const challenge = randomId(32);
      const expiresAt = Date.now() + ctx.config.challengeLifetimeMs;
      await ctx.storage.putChallenge(challenge, expiresAt);
      return { challenge, expiresAt };
    },
  );

  app.post<{ Body: { name: string; birthdate: string; signatureKey: string; challenge: string; signature: string } }>(
    "/v1/accounts",
    {
      onRequest: [anonymous, registrations],
      schema: {
        body: object({
          name: { type: "string", maxLength: 64 },
          birthdate: { type: "string", maxLength: 10 },
          signatureKey: b64,
          ...proofFields,
        }),
        response: replies(201, sessionSchema),
      },
    },
    async (request, reply) => {
      const now = Date.now();
      const body = request.body;
      const name = normalizeName(body.name);
      const birthdate = checkBirthdate(body.birthdate, now);
      ctx.safety.checkRegistration(birthdate, now); // under-13s are refused (docs/safety.md)
      const signatureKey = signatureKeyField(body.signatureKey);
      checkProof("register", body.challenge, body.signature, signatureKey);
      const accountId = randomId();
      const deviceId = randomId();
      const { token, session } = newSession(ctx.config, now);
      await ctx.storage.createAccount({
        challenge: body.challenge,
        now,
        accountId,
        name,
        birthdate,
        deviceId,
        signatureKey,
        session,
      });
      request.log.info({ accountId, deviceId }, "account registered");
      return reply.status(201).send({ accountId, deviceId, token, expiresAt: session.expiresAt });
    },
  );

  app.post<{ Body: { deviceId: string; challenge: string; signature: string } }>(
    "/v1/sessions",
    {
      onRequest: anonymous,
      schema: {
        body: object({ deviceId: id, ...proofFields }),
        response: replies(200, sessionSchema),
      },
    },
    async (request) => {
      const now = Date.now();
      const { deviceId, challenge, signature } = request.body;
      const device = await ctx.storage.getDevice(deviceId);
      // Unknown device and wrong key look the same to the caller.
      if (device === undefined) throw new ApiError("SL_ERR_BAD_PROOF", "unknown device or bad signature");
      checkProof("login", challenge, signature, device.signatureKey);
      // Only after the proof: whether a device was removed is told to that device alone.
      if (device.revokedAt !== undefined) throw new ApiError("SL_ERR_DEVICE_REVOKED", "this device was removed from its account");
      // A moderator's ban ends every session (storage/moderation.ts) and refuses new ones.
      if (await ctx.storage.moderation.isBanned(device.accountId)) {
        throw new ApiError("SL_ERR_ACCOUNT_BANNED", "this account has been banned");
      }
      const { token, session } = newSession(ctx.config, now);
      const accountId = await ctx.storage.createSession({ challenge, now, deviceId, session });
      return { accountId, deviceId, token, expiresAt: session.expiresAt };
    },
  );

  app.post(
    "/v1/link-codes",
    {
      onRequest: [authenticate, codesMade],
      preValidation: defaultEmptyBody,
      schema: { body: emptyBody, response: expiringSecret("code") },
    },
    async (request) => {
      const code = randomId(16);
      const expiresAt = Date.now() + ctx.config.linkCodeLifetimeMs;
      await ctx.storage.createLinkCode(sha256(code), caller(request), expiresAt);
      return { code, expiresAt };
    },
  );

  app.post<{ Body: { code: string; signatureKey: string; challenge: string; signature: string } }>(
    "/v1/devices",
    {
      onRequest: [anonymous, codesTried],
      schema: {
        body: object({ code: { type: "string", minLength: 1, maxLength: 128 }, signatureKey: b64, ...proofFields }),
        response: replies(201, sessionSchema),
      },
    },
    async (request, reply) => {
      const now = Date.now();
      const body = request.body;
      const signatureKey = signatureKeyField(body.signatureKey);
      checkProof("link", body.challenge, body.signature, signatureKey);
      const deviceId = randomId();
      const { token, session } = newSession(ctx.config, now);
      const { accountId, deliveries } = await ctx.storage.linkDevice({
        challenge: body.challenge,
        codeHash: sha256(body.code),
        now,
        deviceId,
        signatureKey,
        session,
        eventId: randomId(),
      });
      ctx.notifier.publish(deliveries);
      request.log.info({ accountId, deviceId }, "device linked");
      return reply.status(201).send({ accountId, deviceId, token, expiresAt: session.expiresAt });
    },
  );
}
