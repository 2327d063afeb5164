/** A received picture the on-device check flagged as likely nudity (or could not check), for someone whose
 *  protection is on (docs/image-safety.md): heavily blurred, with a warning, "View anyway", and Block and
 *  Report one tap away. Nothing about the verdict leaves this page. */
import { useState } from "react";
import { useSession } from "../app/context.js";
import type { ImageVerdict } from "../app/imageSafety.js";
import { FormError } from "./FormError.js";
import { useAction } from "./useAction.js";

export function GuardedImage({
  url,
  name,
  verdict,
  sender,
  onView,
  onReport,
}: {
  url: string;
  name: string;
  verdict: ImageVerdict;
  sender: string;
  onView: () => void;
  onReport: () => void;
}) {
  const session = useSession();
  const { busy, error, run } = useAction();
  const [blocked, setBlocked] = useState(false);
  const block = () =>
    void run(async () => {
      await session.block(sender);
      setBlocked(true);
    });
  return (
    <figure className="guarded-image" aria-label={`Hidden image ${name}`}>
      <div className="guarded-frame">
        {/* Decorative: what it shows is the reason it is hidden. */}
        <img src={url} alt="" className="image-preview blurred heavy" />
      </div>
      <figcaption className="stack">
        <p role="note" className="safety-notice">
          {verdict.kind === "unchecked"
            ? "This image could not be checked on this device, so it is hidden."
            : "This image may show nudity, so it is hidden. You don't have to look at it."}{" "}
          The check ran on this device: no one is told.
        </p>
        <div className="row">
          <button type="button" onClick={onView}>
            View anyway
          </button>
          <button type="button" className="danger" disabled={busy || blocked} onClick={block}>
            {blocked ? `Blocked ${sender}` : `Block ${sender}`}
          </button>
          <button type="button" onClick={onReport}>
            Report
          </button>
        </div>
        <FormError message={error} />
      </figcaption>
    </figure>
  );
}
