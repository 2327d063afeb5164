/** Records the moderator's decision on a report (appended to the hash-chained audit log by the server). */
import type { DecisionAction } from "@safelight/client";
import { useId, useState, type FormEvent } from "react";
import { useSession } from "../../app/context.js";
import { FormError } from "../FormError.js";
import { useAction } from "../useAction.js";

const ACTIONS: { value: DecisionAction; label: string; hint: string }[] = [
  { value: "dismiss", label: "Dismiss", hint: "nothing against the rules" },
  { value: "warn", label: "Warn", hint: "the account gets a warning" },
  { value: "restrict", label: "Restrict", hint: "limits who the account can message" },
  { value: "ban", label: "Ban", hint: "the account can no longer sign in" },
  { value: "escalate", label: "Escalate", hint: "to senior review or the authorities" },
];

export function DecisionForm({ reportId, onDecided }: { reportId: string; onDecided: (action: DecisionAction) => void }) {
  const session = useSession();
  const { busy, error, run } = useAction();
  const [action, setAction] = useState<DecisionAction>();
  const [note, setNote] = useState("");
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!action) return;
    void run(async () => {
      await session.moderation.decide(reportId, action, note.trim() || undefined);
      onDecided(action);
    });
  };
  return (
    <form className="panel stack" aria-label="Decision" onSubmit={submit}>
      <fieldset>
        <legend>Decision</legend>
        {ACTIONS.map((a) => (
          <label key={a.value} className="choice">
            <input type="radio" name={`${id}-action`} value={a.value} checked={action === a.value} onChange={() => setAction(a.value)} required />
            {a.label} <span className="hint">({a.hint})</span>
          </label>
        ))}
      </fieldset>
      <label htmlFor={`${id}-note`}>Note for the audit trail (optional)</label>
      <textarea id={`${id}-note`} rows={2} value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />
      <FormError message={error} />
      <button type="submit" className="primary" disabled={busy || !action}>
        {busy ? "Recording…" : "Record decision"}
      </button>
    </form>
  );
}
