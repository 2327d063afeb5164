/** The reported account: history (reports against and by it, decisions) and risk signals (automatic and
 *  moderator safety actions, docs/safety.md; earlier decisions; a ban). */
import type { AccountFile, SafetyAction } from "@safelight/client";
import { useEffect, useState } from "react";
import { useSession } from "../../app/context.js";
import { describeError } from "../../app/errors.js";
import { FormError } from "../FormError.js";
import { useAction } from "../useAction.js";
import { actionBy, actionDetail, REASON_LABELS, when } from "./format.js";

export function AccountPanel({ name, revision }: { name: string; revision: number }) {
  const session = useSession();
  const [file, setFile] = useState<AccountFile>();
  const [actions, setActions] = useState<SafetyAction[]>([]);
  const [error, setError] = useState("");
  const [reload, setReload] = useState(0);
  const lift = useAction();
  useEffect(() => {
    let gone = false;
    Promise.all([session.moderation.account(name), session.safety.actions({ name, all: true })]).then(
      ([f, a]) => {
        if (gone) return;
        setFile(f);
        setActions(a);
      },
      (err) => !gone && setError(describeError(err)),
    );
    return () => {
      gone = true;
    };
  }, [session, name, revision, reload]);

  const active = actions.filter((a) => !a.liftedAt);
  const earlier = file?.decisions.filter((d) => d.action !== "dismiss") ?? [];
  return (
    <section className="panel" aria-labelledby="account-heading">
      <h3 id="account-heading">Account: {name}</h3>
      <FormError message={error} />
      {file && (
        <>
          <dl className="facts">
            <dt>Created</dt>
            <dd>{when(file.account.createdAt)}</dd>
            <dt>Devices</dt>
            <dd>{file.account.devices}</dd>
            <dt>Role</dt>
            <dd>{file.account.role || "user"}</dd>
            <dt>Reports against</dt>
            <dd data-testid="reports-against">{file.reportsAgainst.length}</dd>
            <dt>Reports made</dt>
            <dd>{file.reportsBy.length}</dd>
          </dl>
          <h4>Risk signals</h4>
          <ul className="signals" aria-label="Risk signals">
            {file.account.banned && <li className="signal-high">Banned</li>}
            {file.reportsAgainst.length > 1 && <li className="signal-medium">Reported {file.reportsAgainst.length} times</li>}
            {new Set(file.reportsAgainst.map((r) => r.reporter.accountId)).size > 1 && (
              <li className="signal-medium">Reported by {new Set(file.reportsAgainst.map((r) => r.reporter.accountId)).size} different people</li>
            )}
            {earlier.map((d) => (
              <li key={d.decisionId} className="signal-medium">
                Earlier decision: {d.action} ({when(d.createdAt)})
              </li>
            ))}
            {actions.map((a) => (
              <li key={a.actionId} className={a.liftedAt ? "signal-low" : "signal-high"}>
                Safety action {a.action} by {actionBy(a.createdBy)} ({a.rule}
                {a.detail ? `: ${actionDetail(a.detail)}` : ""}), {when(a.createdAt)}
                {a.liftedAt ? `, lifted ${when(a.liftedAt)}` : ", active"}
              </li>
            ))}
            {!file.account.banned && file.reportsAgainst.length <= 1 && earlier.length === 0 && actions.length === 0 && (
              <li className="signal-low">No earlier reports, decisions or safety actions</li>
            )}
          </ul>
          {active.length > 0 && (
            <>
              <FormError message={lift.error} />
              <button
                type="button"
                disabled={lift.busy}
                onClick={() => void lift.run(async () => (await session.safety.lift(name), setReload((n) => n + 1)))}
              >
                Lift {active.length === 1 ? "the active safety action" : `${active.length} active safety actions`}
              </button>
            </>
          )}
          {file.reportsAgainst.length > 0 && (
            <>
              <h4>Reports against {name}</h4>
              <ul className="history">
                {file.reportsAgainst.map((r) => (
                  <li key={r.reportId}>
                    {REASON_LABELS[r.reason] ?? r.reason}, by {r.reporter.name}, {when(r.createdAt)}: {r.status}
                  </li>
                ))}
              </ul>
            </>
          )}
          {file.decisions.length > 0 && (
            <>
              <h4>Decisions about {name}</h4>
              <ul className="history" aria-label={`Decisions about ${name}`}>
                {file.decisions.map((d) => (
                  <li key={d.decisionId}>
                    <strong>{d.action}</strong> {when(d.createdAt)}
                    {d.note ? `: ${d.note}` : ""}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}
