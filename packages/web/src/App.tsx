/**
 * Top level: which screen this browser shows. The moderator console (reporting feature, later) gets its own
 * screen here, chosen by route, next to the messenger; it will share Session for sign-in.
 */
import { SessionContext, useSession } from "./app/context.js";
import type { Session } from "./app/session.js";
import { Messenger } from "./screens/Messenger.js";
import { Onboarding } from "./screens/Onboarding.js";

function Screen() {
  const session = useSession();
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
      return <Messenger />;
  }
}

export function App({ session }: { session: Session }) {
  return (
    <SessionContext.Provider value={session}>
      <Screen />
    </SessionContext.Provider>
  );
}
