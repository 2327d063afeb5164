/** Operator actions on the server's store (a data directory or a PostgreSQL URL), for `safelight admin`. */
import { openStorage } from "./backends.js";
import { resolveConfig, type ServerOptions } from "./config.js";
import type { Role } from "./storage/moderation.js";

/** Sets an account's role and records it in the audit log; false when no account has that name. */
export async function setAccountRole(target: ServerOptions, name: string, role: Role): Promise<boolean> {
  const storage = await openStorage(resolveConfig(target));
  try {
    const changed = await storage.moderation.setRole(name, role);
    if (changed) {
      await storage.moderation.audit({ at: Date.now(), actorAccountId: "operator", action: "role.set", subject: name, detail: JSON.stringify({ role }) });
    }
    return changed;
  } finally {
    await storage.close();
  }
}
