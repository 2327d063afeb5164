/** An attachment of a reported message. Decrypted in this page with the key from the verified content;
 *  images stay blurred until the moderator chooses to look. */
import type { FileRef } from "@safelight/client";
import { useEffect, useState } from "react";
import { useSession } from "../../app/context.js";
import { describeError } from "../../app/errors.js";
import { BlurredImage } from "./BlurredImage.js";

export function ReportedFile({ file }: { file: FileRef }) {
  const session = useSession();
  const [url, setUrl] = useState<string>();
  const [error, setError] = useState("");
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
  return <BlurredImage url={url} name={file.name} label="Reported image" />;
}
