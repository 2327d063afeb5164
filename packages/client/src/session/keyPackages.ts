/** KeyPackage upkeep: this device's one-time and last-resort KeyPackages on the server, and claiming
 *  other devices' KeyPackages to add them to a group (RFC 9420 §10, §16.8). */
import { encodePrivateKeyPackage, fromB64, inspectKeyPackage, newKeyPackage, toB64 } from "@safelight/protocol";
import { SafelightError } from "../errors.js";
import type { SessionContext } from "./context.js";

/** One-time KeyPackages kept on the server; topped up when fewer than half remain (RFC 9420 §16.8). */
const KEY_PACKAGE_TARGET = 20;

/** Tops up this device's KeyPackages on the server; `initial` skips asking how many are left (none). */
export async function topUpKeyPackages(ctx: SessionContext, initial = false): Promise<void> {
  const profile = ctx.requireProfile();
  const engine = ctx.mls;
  const count = initial ? { available: 0, lastResort: false } : await ctx.authed((a) => a.keyPackageCount());
  if (count.available >= KEY_PACKAGE_TARGET / 2 && count.lastResort) return;
  const who = { accountId: profile.accountId, deviceId: profile.deviceId };
  const fresh = await Promise.all(
    Array.from({ length: KEY_PACKAGE_TARGET - count.available }, () => newKeyPackage(engine, who, profile)),
  );
  const lastResort = count.lastResort ? undefined : await newKeyPackage(engine, who, profile);
  await ctx.store.putKeyPackages([
    ...fresh.map((k) => ({
      ref: toB64(k.ref),
      keyPackage: k.keyPackage,
      privateKeyPackage: encodePrivateKeyPackage(k.privateKeyPackage),
      lastResort: false,
    })),
    ...(lastResort
      ? [
          {
            ref: toB64(lastResort.ref),
            keyPackage: lastResort.keyPackage,
            privateKeyPackage: encodePrivateKeyPackage(lastResort.privateKeyPackage),
            lastResort: true,
          },
        ]
      : []),
  ]);
  await ctx.authed((a) =>
    a.uploadKeyPackages(
      fresh.map((k) => toB64(k.keyPackage)),
      lastResort ? toB64(lastResort.keyPackage) : undefined,
    ),
  );
}

function signatureKeyOf(bytes: Uint8Array): string {
  try {
    return toB64(inspectKeyPackage(bytes).signatureKey);
  } catch {
    throw new SafelightError("SL_CLIENT_BAD_SERVER", "server sent a malformed KeyPackage");
  }
}

/** One KeyPackage for every device of the account (but this one, with `excludeSelf`), each one's
 *  signature key proven in the key-transparency log. */
export async function claimKeyPackages(ctx: SessionContext, accountId: string, excludeSelf = false): Promise<Uint8Array[]> {
  const { keyPackages, kt } = await ctx.authed((a) =>
    a.claimKeyPackages(accountId, excludeSelf ? ctx.requireProfile().deviceId : undefined),
  );
  const claimed = keyPackages.map((k) => {
    const bytes = fromB64(k.keyPackage);
    if (!bytes) throw new SafelightError("SL_CLIENT_BAD_SERVER", "server sent a malformed KeyPackage");
    return { deviceId: k.deviceId, bytes, signatureKey: signatureKeyOf(bytes) };
  });
  await ctx.kt.checkDirectory(accountId, claimed, kt);
  return claimed.map((c) => c.bytes);
}
