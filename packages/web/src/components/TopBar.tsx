/** The top bar of a signed-in screen: title, connection state, who is signed in, and the screen's actions. */
import type { ReactNode } from "react";
import { useSession } from "../app/context.js";
import { ConnectionBadge } from "./ConnectionBadge.js";

export function TopBar({ title, children }: { title: string; children: ReactNode }) {
  const session = useSession();
  return (
    <header className="topbar">
      <h1>{title}</h1>
      <ConnectionBadge state={session.connection} />
      <span className="me" data-testid="me">
        {session.me.name}
      </span>
      {children}
    </header>
  );
}
