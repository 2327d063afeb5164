/** One attachment of a message: decrypted bytes come from this browser's IndexedDB (never from the server
 *  in the clear); images get an inline preview. */
import type { SavedFile } from "@safelight/client";
import { useEffect, useState } from "react";
import { useSession } from "../app/context.js";
import { PaperclipIcon } from "./PaperclipIcon.js";

function formatSize(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(0)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function Attachment({ messageId, file }: { messageId: string; file: SavedFile }) {
  const session = useSession();
  const [url, setUrl] = useState<string>();
  const [missing, setMissing] = useState(false);
  useEffect(() => {
    let revoked = false;
    let objectUrl: string | undefined;
    setMissing(false);
    setUrl(undefined);
    if (file.error) return;
    void session.file(messageId, file.name).then((bytes) => {
      if (revoked) return;
      if (!bytes) return setMissing(true);
      objectUrl = URL.createObjectURL(new Blob([bytes as BlobPart], { type: file.type || "application/octet-stream" }));
      setUrl(objectUrl);
    });
    return () => {
      revoked = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
    // path/error change when an accepted request's withheld file is finally downloaded.
  }, [session, messageId, file.name, file.type, file.path, file.error]);

  if (file.error) return <p className="file-error">Attachment {file.name} unavailable: {file.error}</p>;
  if (missing) return <p className="file-error">Attachment {file.name} is not stored in this browser</p>;
  if (!url) return <p className="file-loading">Decrypting {file.name}…</p>;
  if (file.type.startsWith("image/")) {
    return (
      <a href={url} download={file.name} className="image-link">
        <img src={url} alt={`Image ${file.name}`} className="image-preview" />
      </a>
    );
  }
  return (
    <a href={url} download={file.name} className="file-link">
      <PaperclipIcon /> {file.name} ({formatSize(file.size)})
    </a>
  );
}
