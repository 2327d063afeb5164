/** Onboarding: registering an account, and both halves of linking another device to it (docs/architecture.md,
 *  Multi-device). A new device's profile is saved, attached and given its KeyPackages. */
import { generateDeviceKeys, signChallenge, toB64, type SigningKeys } from "@safelight/protocol";
import { SafelightError } from "../errors.js";
import { Api, type Session } from "../transport/api.js";
import { HttpTransport } from "../transport/http.js";
import type { Profile } from "../store/types.js";
import type { SessionContext } from "./context.js";
import { topUpKeyPackages } from "./keyPackages.js";

export async function register(ctx: SessionContext, serverUrl: string, name: string, birthdate: string): Promise<void> {
  refuseIfRegistered(ctx);
  const { keys, session } = await enrol(serverUrl, "register", (api, proof) => api.register({ name, birthdate, ...proof }));
  await adopt(ctx, serverUrl, name.toLowerCase(), keys, session);
}

/** Pairing, step 1 (existing device): a one-time code to type into the new device. The monitor accepts
 *  the device that uses it (docs/key-transparency.md, "Own-account monitoring"). */
export async function createLinkCode(ctx: SessionContext): Promise<{ code: string; expiresAt: number }> {
  const link = await ctx.authed((api) => api.createLinkCode());
  await ctx.kt.noteLinkCode(link.expiresAt);
  return link;
}

/** Pairing, step 2 (new device): joins the account that issued the code. */
export async function linkDevice(ctx: SessionContext, serverUrl: string, code: string): Promise<void> {
  refuseIfRegistered(ctx);
  const { keys, session } = await enrol(serverUrl, "link", (api, proof) => api.linkDevice({ code, ...proof }));
  const account = await new Api(new HttpTransport({ baseUrl: serverUrl, token: () => session.token })).account(
    session.accountId,
  );
  await adopt(ctx, serverUrl, account.name, keys, session);
}

/** A fresh device key, proven to the server by signing its challenge for PURPOSE. */
async function enrol(
  serverUrl: string,
  purpose: "register" | "link",
  send: (api: Api, proof: { signatureKey: string; challenge: string; signature: string }) => Promise<Session>,
): Promise<{ keys: SigningKeys; session: Session }> {
  const keys = generateDeviceKeys();
  const api = new Api(new HttpTransport({ baseUrl: serverUrl }));
  const { challenge } = await api.challenge();
  const session = await send(api, { signatureKey: toB64(keys.publicKey), challenge, signature: toB64(signChallenge(keys, purpose, challenge)) });
  return { keys, session };
}

function refuseIfRegistered(ctx: SessionContext): void {
  if (ctx.attached) throw new SafelightError("SL_CLIENT_ALREADY_REGISTERED", "this profile is already registered");
}

async function adopt(ctx: SessionContext, serverUrl: string, name: string, keys: SigningKeys, session: Session): Promise<void> {
  const profile: Profile = {
    serverUrl,
    accountId: session.accountId,
    deviceId: session.deviceId,
    name,
    token: session.token,
    tokenExpiresAt: session.expiresAt,
    signKey: keys.signKey,
    publicKey: keys.publicKey,
  };
  await ctx.store.saveProfile(profile);
  await ctx.attach(profile);
  await topUpKeyPackages(ctx, true);
}
