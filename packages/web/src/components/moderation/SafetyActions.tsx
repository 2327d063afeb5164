/** The safety actions on every account (docs/safety.md): restrictions the automatic rules took and the
 *  ones moderators took, active ones by default. A moderator reviews them here and lifts an account's
 *  active actions (audited like every moderation call). */
import type { SafetyAction } from "@safelight/client";
import { useCallback, useEffect, useState } from "react";
import { useSession } from "../../app/context.js";
import { describeError } from "../../app/errors.js";
import { FormError } from "../FormError.js";
import { useAction } from "../useAction.js";
import { ColumnHeads } from "./ColumnHeads.js";
import { PaneHead } from "./PaneHead.js";
import { actionBy, actionDetail, when } from "./format.js";

export function SafetyActions({ onBack }: { onBack: () => void }) {
  const session = useSession();
  const [all, setAll] = useState(false);
  const [actions, setActions] = useState<SafetyAction[]>();
  const [error, setError] = useState("");
  const lift = useAction();

  const load = useCallback(async () => {
    try {
      setActions(await session.safety.actions({ all }));
      setError("");
    } catch (err) {
      setError(describeError(err));
    }
  }, [session, all]);
  useEffect(() => void load(), [load]);

  return (
    <article className="report-view" aria-labelledby="actions-heading">
      <PaneHead headingId="actions-heading" title="Safety actions" subtitle="Restrictions on accounts, from the automatic rules and from moderators" onBack={onBack} />
      <FormError message={error || lift.error} />
      <div className="report-body">
        <label className="choice">
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} />
          Include lifted actions
        </label>
        {actions?.length === 0 && <p className="empty">{all ? "No safety actions yet." : "No active safety actions."}</p>}
        {actions && actions.length > 0 && (
          <table className="audit">
            <ColumnHeads names={["Account", "Action", "Rule", "Why", "Since", "By", "State"]} />
            <tbody>
              {actions.map((a) => (
                <tr key={a.actionId} data-testid="safety-action">
                  <td>{a.name}</td>
                  <td>{a.action}</td>
                  <td>{a.rule}</td>
                  <td>{actionDetail(a.detail)}</td>
                  <td className="nowrap">{when(a.createdAt)}</td>
                  <td>{actionBy(a.createdBy)}</td>
                  <td>
                    {a.liftedAt ? (
                      `lifted ${when(a.liftedAt)}`
                    ) : (
                      <button type="button" disabled={lift.busy} onClick={() => void lift.run(async () => (await session.safety.lift(a.name), await load()))}>
                        Lift {a.name}'s active actions
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </article>
  );
}
