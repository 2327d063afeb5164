/** The top bar's notification switches: on (which asks the browser's permission) and "hide message text". */
import { useState } from "react";
import { useSession } from "../app/context.js";
import type { NotifySettings } from "../app/notifications.js";

export function NotificationSettings() {
  const { notifier } = useSession();
  const [settings, setSettings] = useState(notifier.settings);
  if (!notifier.supported) return null;
  const change = (next: NotifySettings) => {
    setSettings(next);
    // The browser may refuse permission: show what was actually stored.
    void notifier.set(next).then(() => setSettings(notifier.settings));
  };
  return (
    <>
      <label className="setting" title="Shown by this browser when a message arrives in a conversation you are not looking at">
        <input type="checkbox" checked={settings.on} onChange={(e) => change({ ...settings, on: e.target.checked })} />
        Notifications
      </label>
      {settings.on && (
        <label className="setting" title="Notifications say only who wrote, not what">
          <input type="checkbox" checked={settings.hideText} onChange={(e) => change({ ...settings, hideText: e.target.checked })} />
          Hide message text
        </label>
      )}
    </>
  );
}
