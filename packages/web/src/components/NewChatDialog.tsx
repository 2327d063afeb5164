/** Starts a 1:1 conversation: the first message creates the MLS group (as in the CLI's `send NAME TEXT`). */
import { useId, useState, type FormEvent } from "react";
import { useSession } from "../app/context.js";
import { Dialog } from "./Dialog.js";
import { FormError } from "./FormError.js";
import { useAction } from "./useAction.js";

export function NewChatDialog({ onClose, onOpened }: { onClose: () => void; onOpened: (id: string) => void }) {
  const session = useSession();
  const { busy, error, run } = useAction();
  const [name, setName] = useState("");
  const [text, setText] = useState("");
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => onOpened(await session.startDirect(name.trim(), text.trim())));
  };
  return (
    <Dialog title="New chat" onClose={onClose}>
      <form onSubmit={submit} className="stack">
        <label htmlFor={`${id}-to`}>To (name)</label>
        <input id={`${id}-to`} value={name} onChange={(e) => setName(e.target.value)} required autoCapitalize="none" spellCheck={false} />
        <label htmlFor={`${id}-text`}>First message</label>
        <input id={`${id}-text`} value={text} onChange={(e) => setText(e.target.value)} required />
        <FormError message={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Setting up encryption…" : "Start chat"}
        </button>
      </form>
    </Dialog>
  );
}
