/** Operator actions on a data directory, for the `safelight admin` commands. */
import { openSqliteStorage } from "./storage/sqlite.js";
import type { Role } from "./storage/moderation.js";

/** Sets an account's role and records it in the audit log; false when no account has that name. */
export async function setAccountRole(dataDir: string, name: string, role: Role): Promise<boolean> {
  const storage = openSqliteStorage(dataDir);
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
