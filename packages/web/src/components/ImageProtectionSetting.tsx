/** The top bar's "Blur likely nudity" switch (docs/image-safety.md): an adult's choice, stored in this
 *  browser only; shown ticked and fixed for a teen account, which always has it. */
import { useImageProtection } from "../app/context.js";

export function ImageProtectionSetting() {
  const protection = useImageProtection();
  return (
    <label
      className="setting"
      title={
        protection.required
          ? "Always on for teen accounts: received images are checked on this device, and likely nudity is blurred"
          : "Received images are checked on this device; likely nudity is blurred until you choose to view it"
      }
    >
      <input type="checkbox" checked={protection.on} disabled={protection.required} onChange={(e) => protection.setOptIn(e.target.checked)} />
      Blur likely nudity
    </label>
  );
}
