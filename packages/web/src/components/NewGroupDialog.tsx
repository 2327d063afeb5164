/** Creates a group: the title travels only inside MLS messages, never to the server in the clear. */
import { useId, useState, type FormEvent } from "react";
import { useSession } from "../app/context.js";
import { Dialog } from "./Dialog.js";
import { FormError } from "./FormError.js";
import { useAction } from "./useAction.js";

export function NewGroupDialog({ onClose, onOpened }: { onClose: () => void; onOpened: (id: string) => void }) {
  const session = useSession();
  const { busy, error, run } = useAction();
  const [title, setTitle] = useState("");
  const [members, setMembers] = useState("");
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const names = members
      .split(/[\s,]+/)
      .map((n) => n.trim())
      .filter(Boolean);
    void run(async () => onOpened(await session.createGroup(title.trim(), names)));
  };
  return (
    <Dialog title="New group" onClose={onClose}>
      <form onSubmit={submit} className="stack">
        <label htmlFor={`${id}-title`}>Group name</label>
        <input id={`${id}-title`} value={title} onChange={(e) => setTitle(e.target.value)} required />
        <label htmlFor={`${id}-members`}>Members (names, separated by commas)</label>
        <input id={`${id}-members`} value={members} onChange={(e) => setMembers(e.target.value)} required autoCapitalize="none" spellCheck={false} />
        <FormError message={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Creating…" : "Create group"}
        </button>
      </form>
    </Dialog>
  );
}
