/** A modal built on <dialog>: the browser traps focus, Escape closes it, and the page behind is inert. */
import { useEffect, useId, useRef, type ReactNode } from "react";

export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    // Start where the typing is (the first field), not on the close button that comes first.
    dialog.querySelector<HTMLElement>("input, textarea")?.focus();
    return () => dialog.close();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby={id} onClose={onClose} className="dialog">
      <div className="dialog-head">
        <h2 id={id}>{title}</h2>
        <button type="button" className="icon" onClick={onClose} aria-label="Close">
          ×
        </button>
      </div>
      {children}
    </dialog>
  );
}
