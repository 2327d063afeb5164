/** Always-visible connection state; announced politely when it changes. */
import type { LiveState } from "@safelight/client/browser";

const TEXT: Record<LiveState, string> = {
  online: "Connected",
  connecting: "Connecting…",
  offline: "Offline, retrying…",
};

export function ConnectionBadge({ state }: { state: LiveState }) {
  return (
    <span className={`badge conn-${state}`} role="status" aria-live="polite" data-testid="connection">
      <span className="dot" aria-hidden="true" />
      {TEXT[state]}
    </span>
  );
}
