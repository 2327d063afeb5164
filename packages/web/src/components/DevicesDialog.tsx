/** Links another browser or CLI profile to this account with a one-time code. Once the new device
 *  registers, this device adds it to every conversation (it must be online to do so). */
import { useState } from "react";
import { useSession } from "../app/context.js";
import { Dialog } from "./Dialog.js";
import { FormError } from "./FormError.js";
import { useAction } from "./useAction.js";

export function DevicesDialog({ onClose }: { onClose: () => void }) {
  const session = useSession();
  const { busy, error, run } = useAction();
  const [code, setCode] = useState<{ code: string; expiresAt: number }>();
  const me = session.me;
  return (
    <Dialog title="Devices" onClose={onClose}>
      <p>
        Signed in as <strong>{me.name}</strong>. This browser is device <code>{me.deviceId}</code>; its keys never leave it.
      </p>
      {code ? (
        <div className="link-code">
          <p>On the new device, choose “link this browser” and enter:</p>
          <p className="code" data-testid="link-code">
            {code.code}
          </p>
          <p className="hint">
            Valid once, until {new Date(code.expiresAt).toLocaleTimeString()}. Keep this page open so this device can add the new
            one to your conversations. Messages sent before the link are not shared.
          </p>
        </div>
      ) : (
        <button type="button" className="primary" disabled={busy} onClick={() => void run(async () => setCode(await session.createLinkCode()))}>
          Link a new device
        </button>
      )}
      <FormError message={error} />
    </Dialog>
  );
}
