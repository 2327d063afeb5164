/** The moderation audit log: every read and decision, hash-chained; the server recomputes the chain. */
import { useEffect, useState } from "react";
import type { AuditLog } from "@safelight/client";
import { useSession } from "../../app/context.js";
import { describeError } from "../../app/errors.js";
import { FormError } from "../FormError.js";
import { ColumnHeads } from "./ColumnHeads.js";
import { PaneHead } from "./PaneHead.js";
import { when } from "./format.js";

export function AuditTrail({ onBack }: { onBack: () => void }) {
  const session = useSession();
  const [audit, setAudit] = useState<AuditLog>();
  const [names, setNames] = useState(new Map<string, string>());
  const [error, setError] = useState("");
  useEffect(() => {
    let gone = false;
    session.moderation.audit(100).then(
      async (a) => {
        const entries = a.entries;
        const known = new Map<string, string>();
        for (const id of new Set(entries.map((e) => e.actorAccountId))) known.set(id, await session.nameOf(id));
        if (gone) return;
        setNames(known);
        setAudit({ intact: a.intact, entries });
      },
      (err) => !gone && setError(describeError(err)),
    );
    return () => {
      gone = true;
    };
  }, [session]);
  return (
    <article className="report-view" aria-labelledby="audit-heading">
      <PaneHead headingId="audit-heading" title="Audit trail" onBack={onBack}>
        {audit && (
          <span className={audit.intact ? "verified" : "unverified"} data-testid="audit-chain">
            {audit.intact ? "Chain intact" : "Chain broken"}
          </span>
        )}
      </PaneHead>
      <FormError message={error} />
      {audit && (
        <div className="report-body">
          <table className="audit">
            <caption className="hint">Newest first; each entry is hash-chained to all before it.</caption>
            <ColumnHeads names={["#", "When", "Moderator", "Action", "Subject", "Detail"]} />
            <tbody>
              {audit.entries.map((e) => (
                <tr key={e.seq} data-testid="audit-entry">
                  <td>{e.seq}</td>
                  <td className="nowrap">{when(e.at)}</td>
                  <td>{names.get(e.actorAccountId) ?? e.actorAccountId}</td>
                  <td>{e.action}</td>
                  <td className="mono">{e.subject}</td>
                  <td className="mono">{e.detail === "{}" ? "" : e.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </article>
  );
}
