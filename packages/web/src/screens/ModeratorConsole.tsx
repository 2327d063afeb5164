/** The moderator console (#/moderation): report queue with filters beside the open report, the safety
 *  actions on accounts or the audit trail; one pane at a time on a phone. The server decides who is a moderator (403 otherwise). */
import type { ReportReason, ReportSummary } from "@safelight/client";
import { useCallback, useEffect, useState } from "react";
import { useSession } from "../app/context.js";
import { describeError } from "../app/errors.js";
import { FormError } from "../components/FormError.js";
import { AuditTrail } from "../components/moderation/AuditTrail.js";
import { ReportQueue, type StatusFilter } from "../components/moderation/ReportQueue.js";
import { ReportView } from "../components/moderation/ReportView.js";
import { SafetyActions } from "../components/moderation/SafetyActions.js";
import { TopBar } from "../components/TopBar.js";


type Route = { view: "queue" } | { view: "report"; reportId: string } | { view: "audit" } | { view: "actions" };

function fromHash(): Route {
  const report = /^#\/moderation\/r\/(.+)$/.exec(location.hash)?.[1];
  if (report) return { view: "report", reportId: decodeURIComponent(report) };
  if (location.hash === "#/moderation/audit") return { view: "audit" };
  return location.hash === "#/moderation/actions" ? { view: "actions" } : { view: "queue" };
}

export function ModeratorConsole() {
  const session = useSession();
  const [route, setRoute] = useState<Route>(fromHash);
  const [status, setStatus] = useState<StatusFilter>("open");
  const [reason, setReason] = useState<ReportReason | "">("");
  const [highOnly, setHighOnly] = useState(false);
  const [reports, setReports] = useState<ReportSummary[]>();
  const [error, setError] = useState("");
  const [forbidden, setForbidden] = useState(false);

  useEffect(() => {
    const onHash = () => setRoute(fromHash());
    addEventListener("hashchange", onHash);
    document.title = "Safelight moderation";
    return () => {
      removeEventListener("hashchange", onHash);
      document.title = "Safelight";
    };
  }, []);

  const load = useCallback(async () => {
    try {
      setReports((await session.moderation.reports(status)).reports);
      setError("");
    } catch (err) {
      if ((err as { code?: string }).code === "SL_ERR_FORBIDDEN") setForbidden(true);
      else setError(describeError(err));
    }
  }, [session, status]);

  useEffect(() => {
    setReports(undefined);
    void load();
  }, [load]);

  const go = (hash: string) => {
    location.hash = hash;
  };

  if (forbidden) {
    return (
      <main className="onboarding">
        <h1>Moderation</h1>
        <p role="alert">The account {session.me.name} is not a moderator. An operator can grant the role (docs/moderation.md).</p>
        <a className="button" href="#/">
          Back to messages
        </a>
      </main>
    );
  }

  const selected = route.view === "report" ? route.reportId : undefined;
  return (
    <div className="messenger console" data-view={route.view === "queue" ? "list" : "chat"}>
      <TopBar title="Moderation">
        <nav aria-label="Console" className="console-nav">
          <a className="button" href="#/moderation" aria-current={route.view === "queue" || route.view === "report" ? "page" : undefined}>
            Reports
          </a>
          <a className="button" href="#/moderation/actions" aria-current={route.view === "actions" ? "page" : undefined}>
            Safety actions
          </a>
          <a className="button" href="#/moderation/audit" aria-current={route.view === "audit" ? "page" : undefined}>
            Audit trail
          </a>
          <a className="button" href="#/">
            Messages
          </a>
        </nav>
      </TopBar>
      <nav className="sidebar" aria-label="Report queue">
        <FormError message={error} />
        <ReportQueue
          reports={reports}
          status={status}
          reason={reason}
          highOnly={highOnly}
          selected={selected}
          onStatus={setStatus}
          onReason={setReason}
          onHighOnly={setHighOnly}
          onSelect={(id) => go(`#/moderation/r/${encodeURIComponent(id)}`)}
        />
      </nav>
      <main className="main">
        {route.view === "report" ? (
          <ReportView key={route.reportId} reportId={route.reportId} onBack={() => go("#/moderation")} onDecided={() => void load()} />
        ) : route.view === "audit" ? (
          <AuditTrail onBack={() => go("#/moderation")} />
        ) : route.view === "actions" ? (
          <SafetyActions onBack={() => go("#/moderation")} />
        ) : (
          <p className="empty center">Choose a report from the queue.</p>
        )}
      </main>
    </div>
  );
}
