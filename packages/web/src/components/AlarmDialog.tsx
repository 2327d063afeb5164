/** A device appeared on this account that this browser did not accept (docs/key-transparency.md,
 *  "Monitoring"): a modal, so it is seen on any screen, naming the device and when the log recorded it. */
import type { KeyTransparencyAlarm } from "@safelight/client";
import { Dialog } from "./Dialog.js";

export function AlarmDialog({ alarm, onClose }: { alarm: KeyTransparencyAlarm; onClose: () => void }) {
  return (
    <Dialog title="A new device was added to your account" onClose={onClose}>
      <p role="alert">
        Device <code>{alarm.deviceId}</code> was added to your account at{" "}
        <time dateTime={new Date(alarm.time).toISOString()}>{new Date(alarm.time).toLocaleString()}</time> (key-transparency
        log entry {alarm.index}), and it was not linked from this browser.
      </p>
      <p>
        If you did not link it from another of your devices, someone may be able to read your messages: tell your
        contacts, and compare safety numbers with them again.
      </p>
      <p>
        <button type="button" className="primary" onClick={onClose}>
          I understand
        </button>
      </p>
    </Dialog>
  );
}
