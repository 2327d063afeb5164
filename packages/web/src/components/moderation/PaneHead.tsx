/** The head of the console's right pane: a back button (shown on phones) and the pane's heading. */
import type { ReactNode } from "react";

export function PaneHead({ headingId, title, subtitle, onBack, children }: { headingId: string; title: string; subtitle?: ReactNode; onBack: () => void; children?: ReactNode }) {
  return (
    <div className="chat-head">
      <button type="button" className="icon back" onClick={onBack} aria-label="Back to reports">
        ←
      </button>
      <div className="chat-title">
        <h2 id={headingId}>{title}</h2>
        {subtitle && <p className="hint">{subtitle}</p>}
      </div>
      {children}
    </div>
  );
}
