/**
 * The verification screen (docs/safety-numbers.md): the safety number with the contact, its QR code, and
 * a field for the number or code the contact's app shows. There is no camera scanner: paste or type.
 */
import type { ContactVerification } from "@safelight/client";
import { formatSafetyNumber, safetyPayloadText, type SafetyNumber } from "@safelight/protocol";
import QRCode from "qrcode";
import { useEffect, useId, useState, type FormEvent } from "react";
import { useSession } from "../app/context.js";
import { Dialog } from "./Dialog.js";
import { FormError } from "./FormError.js";
import { useAction } from "./useAction.js";

export function VerifyDialog({ peer, conversation, onClose }: { peer: string; conversation: string; onClose: () => void }) {
  const session = useSession();
  const { busy, error, run } = useAction();
  const [number, setNumber] = useState<SafetyNumber>();
  const [qr, setQr] = useState<string>();
  const [state, setState] = useState<ContactVerification>();
  const [theirs, setTheirs] = useState("");
  const [verifiedOnly, setVerifiedOnly] = useState(false);
  const id = useId();

  useEffect(() => {
    let stale = false;
    void run(async () => {
      const n = await session.safetyNumber(peer);
      const [image, verification, only] = await Promise.all([
        QRCode.toDataURL(safetyPayloadText(n), { margin: 1 }),
        session.verification(peer),
        session.isVerifiedOnly(conversation),
      ]);
      if (stale) return;
      setVerifiedOnly(only);
      setNumber(n);
      setQr(image);
      setState(verification);
    });
    return () => {
      stale = true;
    };
  }, [session, peer, conversation, run]);

  const confirm = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await session.markVerified(peer, theirs);
      setState(await session.verification(peer));
      setTheirs("");
    });
  };

  const status = state?.verified
    ? `${peer} is verified`
    : state?.changedSinceVerified
      ? `${peer}'s devices changed since you verified them: compare again`
      : `${peer} is not verified`;
  return (
    <Dialog title={`Verify ${peer}`} onClose={onClose}>
      <p className="hint">Compare this number with the one {peer}'s app shows, in person or on a call.</p>
      <p className="safety-number" data-testid="safety-number">
        {number ? formatSafetyNumber(number.digits) : "…"}
      </p>
      {qr && number && <img className="safety-qr" src={qr} alt={`QR code of your safety number with ${peer}`} />}
      {number && (
        <p className="hint">
          Your code: <code data-testid="safety-payload">{safetyPayloadText(number)}</code>
        </p>
      )}
      <p role="status" data-testid="verification-status">
        {state ? status : "…"}
      </p>
      <form onSubmit={confirm} className="inline-form">
        <label htmlFor={`${id}-theirs`}>{peer}'s number or code</label>
        <div className="row">
          <input id={`${id}-theirs`} value={theirs} onChange={(e) => setTheirs(e.target.value)} required autoCapitalize="none" spellCheck={false} />
          <button type="submit" className="primary" disabled={busy}>
            Mark verified
          </button>
        </div>
      </form>
      <label className="check">
        <input
          type="checkbox"
          checked={verifiedOnly}
          onChange={(e) => {
            const on = e.target.checked;
            // Shown at once; put back if storing it fails.
            setVerifiedOnly(on);
            void run(() => session.setVerifiedOnly(conversation, on)).then((stored) => stored || setVerifiedOnly(!on));
          }}
        />{" "}
        Verified contacts only: hold my messages in this conversation while a device is not verified
      </label>
      <FormError message={error} />
    </Dialog>
  );
}
