/** Reports a received message to the moderators. The page sends the message's franking opening (and a few
 *  messages before it, for context) so the server can verify who sent exactly what (docs/franking.md), and,
 *  if the reporter leaves the box ticked, the message's decrypted attachments, which the server checks
 *  against known-image lists and keeps as evidence (docs/known-images.md); nothing else leaves the device. */
import type { ReportReason, StoredMessage } from "@safelight/client";
import { useId, useState, type FormEvent } from "react";
import { useSession } from "../app/context.js";
import { Dialog } from "./Dialog.js";
import { FormError } from "./FormError.js";
import { useAction } from "./useAction.js";

const REASONS: { value: ReportReason; label: string }[] = [
  { value: "child_sexual_exploitation", label: "Sexual content involving a child" },
  { value: "grooming", label: "An adult trying to groom a young person" },
  { value: "harassment", label: "Harassment or bullying" },
  { value: "spam", label: "Spam or scam" },
  { value: "other", label: "Something else" },
];

export function ReportDialog({ message, sender, onClose }: { message: StoredMessage; sender: string; onClose: () => void }) {
  const session = useSession();
  const { busy, error, run } = useAction();
  const [reason, setReason] = useState<ReportReason>();
  const [note, setNote] = useState("");
  const files = message.files.filter((f) => !f.error);
  const [revealFiles, setRevealFiles] = useState(true);
  const [done, setDone] = useState<{ verified: number; attachments: number }>();
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!reason) return;
    void run(async () => {
      const r = await session.report(message, reason, note.trim(), revealFiles && files.length > 0);
      setDone({ verified: r.verified, attachments: r.attachments ?? 0 });
    });
  };
  const fileNames = files.map((f) => f.name).join(", ");
  return (
    <Dialog title={`Report a message from ${sender}`} onClose={onClose}>
      {done !== undefined ? (
        <p role="status">
          Report sent. The moderators can verify {done.verified === 1 ? "1 message" : `${done.verified} messages`} as really sent by their senders.
          {done.attachments > 0 && ` ${done.attachments === 1 ? "1 attachment was" : `${done.attachments} attachments were`} sent to be checked and kept as evidence.`}
          {` ${sender} is not told who reported them.`}
        </p>
      ) : (
        <form onSubmit={submit} className="stack">
          <blockquote className="reported">{message.text || message.files.map((f) => f.name).join(", ")}</blockquote>
          <fieldset>
            <legend>What is wrong?</legend>
            {REASONS.map((r) => (
              <label key={r.value} className="choice">
                <input type="radio" name={`${id}-reason`} value={r.value} checked={reason === r.value} onChange={() => setReason(r.value)} required />
                {r.label}
              </label>
            ))}
          </fieldset>
          <label htmlFor={`${id}-note`}>Anything the moderators should know (optional)</label>
          <textarea id={`${id}-note`} rows={2} value={note} onChange={(e) => setNote(e.target.value)} maxLength={1000} />
          {files.length > 0 && (
            <label className="choice">
              <input type="checkbox" checked={revealFiles} onChange={(e) => setRevealFiles(e.target.checked)} />
              Also send {files.length === 1 ? "the attachment" : "the attachments"} ({fileNames}), to be checked against known child-abuse images and kept as evidence for the moderators
            </label>
          )}
          <p className="hint">This message and up to a few before it are sent to the moderators, with proof of who sent them.</p>
          <FormError message={error} />
          <button type="submit" className="primary danger-fill" disabled={busy || !reason}>
            {busy ? "Sending report…" : "Send report"}
          </button>
        </form>
      )}
    </Dialog>
  );
}
