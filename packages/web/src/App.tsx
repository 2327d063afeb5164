/**
 * Top level: which screen this browser shows. Signed in, `#/moderation…` opens the moderator console (the
 * server decides whether this account may use it), anything else the messenger; both share Session.
 */
import { useEffect, useState } from "react";
import { SessionContext, useSession } from "./app/context.js";
import type { Session } from "./app/session.js";
import { Messenger } from "./screens/Messenger.js";
import { ModeratorConsole } from "./screens/ModeratorConsole.js";
import { Onboarding } from "./screens/Onboarding.js";

const isConsole = () => location.hash.startsWith("#/moderation");

function Screen() {
  const session = useSession();
  const [inConsole, setInConsole] = useState(isConsole);
  useEffect(() => {
    const onHash = () => setInConsole(isConsole());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  switch (session.phase) {
    case "loading":
      return (
        <p className="splash" role="status">
          Opening Safelight…
        </p>
      );
    case "other-tab":
      return (
        <p className="splash" role="status">
          Safelight is open in another tab of this browser. Close it to continue here.
        </p>
      );
    case "failed":
      return (
        <p className="splash" role="alert">
          {session.error}
        </p>
      );
    case "signed-out":
      return <Onboarding />;
    case "ready":
      return inConsole ? <ModeratorConsole /> : <Messenger />;
  }
}

export function App({ session }: { session: Session }) {
  return (
    <SessionContext.Provider value={session}>
      <Screen />
    </SessionContext.Provider>
  );
}
