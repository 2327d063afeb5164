/** Group members: add by name, remove. Each change is an MLS commit made in this page. */
import { useId, useState, type FormEvent } from "react";
import { useSession } from "../app/context.js";
import type { ConversationItem } from "../app/session.js";
import { Dialog } from "./Dialog.js";
import { FormError } from "./FormError.js";
import { useAction } from "./useAction.js";

export function MembersDialog({ conversation, onClose }: { conversation: ConversationItem; onClose: () => void }) {
  const session = useSession();
  const { busy, error, run } = useAction();
  const [name, setName] = useState("");
  const id = useId();
  const me = session.me.name;
  const add = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await session.addMember(conversation.id, name.trim());
      setName("");
    });
  };
  return (
    <Dialog title={`Members of ${conversation.label}`} onClose={onClose}>
      <ul className="members" aria-label="Members">
        {conversation.members.map((m) => (
          <li key={m}>
            <span>{m === me ? `${m} (you)` : m}</span>
            {m !== me && conversation.active && (
              <button type="button" className="small danger" disabled={busy} onClick={() => void run(() => session.removeMember(conversation.id, m))}>
                Remove {m}
              </button>
            )}
          </li>
        ))}
      </ul>
      {conversation.active && (
        <form onSubmit={add} className="inline-form">
          <label htmlFor={`${id}-add`}>Add a member by name</label>
          <div className="row">
            <input id={`${id}-add`} value={name} onChange={(e) => setName(e.target.value)} required autoCapitalize="none" spellCheck={false} />
            <button type="submit" className="primary" disabled={busy}>
              Add
            </button>
          </div>
        </form>
      )}
      <FormError message={error} />
    </Dialog>
  );
}
