/** An attachment of a reported message. Decrypted in this page with the key from the verified content;
 *  images stay blurred until the moderator chooses to look (click, Enter or Space). */
import { useEffect, useState } from "react";
import { useSession } from "../../app/context.js";
import { describeError } from "../../app/errors.js";
import type { ReportFileRef } from "./types.js";

export function ReportedFile({ file }: { file: ReportFileRef }) {
  const session = useSession();
  const [url, setUrl] = useState<string>();
  const [error, setError] = useState("");
  const [revealed, setRevealed] = useState(false);
  useEffect(() => {
    let gone = false;
    let objectUrl: string | undefined;
    session.reportedFile(file).then(
      (bytes) => {
        if (gone) return;
        objectUrl = URL.createObjectURL(new Blob([bytes as BlobPart], { type: file.type || "application/octet-stream" }));
        setUrl(objectUrl);
      },
      (err) => !gone && setError(describeError(err)),
    );
    return () => {
      gone = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [session, file]);

  if (error) return <p className="file-error">Attachment {file.name} unavailable: {error}</p>;
  if (!url) return <p className="file-loading">Decrypting {file.name}…</p>;
  if (!file.type.startsWith("image/")) {
    return (
      <a href={url} download={file.name} className="file-link">
        Download {file.name} ({file.size} bytes)
      </a>
    );
  }
  // The button covers the blurred picture, so a click anywhere on it (or Enter/Space) shows it.
  return (
    <figure className={revealed ? "reported-image" : "reported-image is-blurred"}>
      <img src={url} alt={`Reported image ${file.name}`} className={revealed ? "image-preview" : "image-preview blurred"} />
      <button type="button" className="blur-toggle" aria-pressed={revealed} aria-label={`Show image ${file.name}`} onClick={() => setRevealed((r) => !r)}>
        {revealed ? "Blur again" : "Blurred: click or press Enter to show"}
      </button>
    </figure>
  );
}
