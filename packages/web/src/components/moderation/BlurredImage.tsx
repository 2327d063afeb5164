/** A picture a moderator has to look at on purpose: blurred until they choose to show it (click, Enter or
 *  Space on the button covering it), and blurred again with the same button. */
import { useState } from "react";

export function BlurredImage({ url, name, label }: { url: string; name: string; label: string }) {
  const [revealed, setRevealed] = useState(false);
  return (
    <figure className={revealed ? "reported-image" : "reported-image is-blurred"}>
      <img src={url} alt={`${label} ${name}`} className={revealed ? "image-preview" : "image-preview blurred"} />
      <button type="button" className="blur-toggle" aria-pressed={revealed} aria-label={`Show image ${name}`} onClick={() => setRevealed((r) => !r)}>
        {revealed ? "Blur again" : "Blurred: click or press Enter to show"}
      </button>
    </figure>
  );
}
