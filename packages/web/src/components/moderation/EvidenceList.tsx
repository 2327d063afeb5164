/** Files the server preserved as evidence for a report (docs/known-images.md): what they are and whether
 *  they matched a list. Their content is fetched only when the moderator asks, because every view is
 *  written to the audit trail (`evidence.view`); pictures then stay blurred until shown, and their PDQ hash
 *  is recomputed in this browser. */
import { useEffect, useState } from "react";
import type { EvidenceItem } from "@safelight/client";
import { useSession } from "../../app/context.js";
import { describeError } from "../../app/errors.js";
import { BlurredImage } from "./BlurredImage.js";
import { EvidencePdq } from "./EvidencePdq.js";
import { when } from "./format.js";

const KIND_LABELS: Record<EvidenceItem["kind"], string> = {
  "report-attachment": "report attachment",
  "profile-picture": "profile picture",
  "group-picture": "group picture",
};

function EvidenceFile({ item }: { item: EvidenceItem }) {
  const session = useSession();
  const [content, setContent] = useState<{ blob: Blob; url: string }>();
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => () => void (content && URL.revokeObjectURL(content.url)), [content]);
  const open = () => {
    setBusy(true);
    setError("");
    session.knownImages.evidenceContent(item.evidenceId).then(
      (bytes) => {
        const blob = new Blob([bytes as BlobPart], { type: item.contentType || "application/octet-stream" });
        setContent({ blob, url: URL.createObjectURL(blob) });
      },
      (err) => setError(describeError(err)),
    ).finally(() => setBusy(false));
  };
  if (content) {
    return item.contentType.startsWith("image/") ? (
      <>
        <BlurredImage url={content.url} name={item.name} label="Evidence image" />
        <EvidencePdq image={content.blob} serverPdq={item.pdq} />
      </>
    ) : (
      <a href={content.url} download={item.name} className="file-link">
        Download {item.name} ({item.size} bytes)
      </a>
    );
  }
  return (
    <>
      <button type="button" onClick={open} disabled={busy}>
        {busy ? `Opening ${item.name}…` : `View ${item.name} (recorded in the audit trail)`}
      </button>
      {error && <p className="file-error">Evidence {item.name} unavailable: {error}</p>}
    </>
  );
}

const transforms = (e: EvidenceItem) => [...new Set(e.matches.flatMap((m) => (m.transform ? [m.transform] : [])))];

export function EvidenceList({ items }: { items: EvidenceItem[] }) {
  return (
    <ul className="evidence" aria-label="Evidence files">
      {items.map((e) => (
        <li key={e.evidenceId} data-testid="evidence">
          <p>
            <strong>{e.name}</strong> ({KIND_LABELS[e.kind]}, {e.size} bytes, kept until {when(e.expiresAt)}):{" "}
            {e.matches.length > 0 ? `matched ${e.matches.length} known-image list entr${e.matches.length === 1 ? "y" : "ies"}` : "no list match"}
            {transforms(e).length > 0 && ` (rotated or mirrored: ${transforms(e).join(", ")})`}
            {e.viewedByEsp ? "; viewed by staff before" : ""}
          </p>
          <EvidenceFile item={e} />
        </li>
      ))}
    </ul>
  );
}
