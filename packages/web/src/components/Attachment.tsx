/** One attachment of a message: decrypted bytes come from this browser's IndexedDB (never from the server
 *  in the clear); images get an inline preview. For someone whose image protection is on, a received
 *  image is checked on this device before it shows (docs/image-safety.md). */
import type { SavedFile } from "@safelight/client";
import { useEffect, useState } from "react";
import { useImageProtection, useSession } from "../app/context.js";
import { checkImage, type ImageVerdict } from "../app/imageSafety.js";
import { GuardedImage } from "./GuardedImage.js";
import { PaperclipIcon } from "./PaperclipIcon.js";

function formatSize(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(0)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Who sent a received attachment, and how to report their message. */
export interface Received {
  sender: string;
  onReport: () => void;
}

export function Attachment({ messageId, file, received }: { messageId: string; file: SavedFile; received?: Received }) {
  const session = useSession();
  const [url, setUrl] = useState<string>();
  const [missing, setMissing] = useState(false);
  const [verdict, setVerdict] = useState<ImageVerdict>();
  const [viewAnyway, setViewAnyway] = useState(false);
  const protectionOn = useImageProtection().on;
  const isImage = file.type.startsWith("image/");
  const check = isImage && received !== undefined && protectionOn;
  useEffect(() => {
    let revoked = false;
    let objectUrl: string | undefined;
    setMissing(false);
    setUrl(undefined);
    setVerdict(undefined);
    if (file.error) return;
    void session.file(messageId, file.name).then(async (bytes) => {
      if (revoked) return;
      if (!bytes) return setMissing(true);
      const blob = new Blob([bytes as BlobPart], { type: file.type || "application/octet-stream" });
      // Checked before an object URL exists, so nothing can show the picture first.
      const verdict = check ? await checkImage(blob, file.name) : undefined;
      if (revoked) return;
      objectUrl = URL.createObjectURL(blob);
      setVerdict(verdict);
      setUrl(objectUrl);
    });
    return () => {
      revoked = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
    // path/error change when an accepted request's withheld file is finally downloaded.
  }, [session, messageId, file.name, file.type, file.path, file.error, check]);

  if (file.error) return <p className="file-error">Attachment {file.name} unavailable: {file.error}</p>;
  if (missing) return <p className="file-error">Attachment {file.name} is not stored in this browser</p>;
  if (!url) return <p className="file-loading">{check ? `Checking image ${file.name}…` : `Decrypting ${file.name}…`}</p>;
  if (received && verdict && verdict.kind !== "clear" && !viewAnyway) {
    return <GuardedImage url={url} name={file.name} verdict={verdict} sender={received.sender} onView={() => setViewAnyway(true)} onReport={received.onReport} />;
  }
  if (isImage) {
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
