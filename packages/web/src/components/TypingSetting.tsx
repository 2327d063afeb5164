/** The top bar's typing-indicator choice: everyone, contacts only (a teen's default) or off (docs/messaging.md). */
import { TYPING_SETTINGS, type TypingIndicators } from "@safelight/client";
import { useEffect, useState } from "react";
import { useSession } from "../app/context.js";

const LABELS: Record<TypingIndicators, string> = { everyone: "everyone", contacts: "contacts only", off: "off" };

export function TypingSetting() {
  const session = useSession();
  // Unknown until the SDK has the age band's default (one request, cached).
  const [setting, setSetting] = useState<TypingIndicators>();
  useEffect(() => {
    void session
      .typingSetting()
      .then(setSetting)
      .catch(() => undefined);
  }, [session]);
  return (
    <label className="setting" title="Who sees when you are typing">
      Typing indicators
      <select
        value={setting ?? ""}
        disabled={setting === undefined}
        onChange={(e) => {
          const next = e.target.value as TypingIndicators;
          setSetting(next);
          void session.setTypingIndicators(next).catch((err: unknown) => console.warn("typing setting not saved", err));
        }}
      >
        {setting === undefined && <option value="">…</option>}
        {TYPING_SETTINGS.map((t) => (
          <option key={t} value={t}>
            {LABELS[t]}
          </option>
        ))}
      </select>
    </label>
  );
}
