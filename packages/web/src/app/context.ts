/** React access to the page's Session: the object itself, and a re-render whenever it changes. */
import { createContext, useContext, useSyncExternalStore } from "react";
import type { ImageProtection } from "./imageProtection.js";
import type { Session } from "./session.js";

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside <SessionContext.Provider>");
  useSyncExternalStore(session.subscribe, session.getRevision);
  return session;
}

/** The signed-in account's image protection, re-rendering when it is turned on or off. */
export function useImageProtection(): ImageProtection {
  const protection = useSession().imageProtection;
  useSyncExternalStore(protection.subscribe, () => protection.on);
  return protection;
}
