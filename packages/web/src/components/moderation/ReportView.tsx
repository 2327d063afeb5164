/** One report: the messages the server verified (franking, docs/franking.md) with their attachments,
 *  known-image detection and evidence, the reported account, and the decision. */
import type { DecisionAction, ReportDetail } from "@safelight/client";
import { useEffect, useState } from "react";
import { useSession } from "../../app/context.js";
import { describeError } from "../../app/errors.js";
import { FormError } from "../FormError.js";
import { AccountPanel } from "./AccountPanel.js";
import { DecisionForm } from "./DecisionForm.js";
import { EvidenceList } from "./EvidenceList.js";
import { PaneHead } from "./PaneHead.js";
import { ReportedFile } from "./ReportedFile.js";
import { highPriority, REASON_LABELS, when } from "./format.js";

export function ReportView({ reportId, onBack, onDecided }: { reportId: string; onBack: () => void; onDecided: () => void }) {
  const session = useSession();
  const [report, setReport] = useState<ReportDetail>();
  const [error, setError] = useState("");
  const [revision, setRevision] = useState(0);
  const [decided, setDecided] = useState<DecisionAction>();
  useEffect(() => {
    let gone = false;
    session.moderation.report(reportId).then(
      (r) => !gone && setReport(r),
      (err) => !gone && setError(describeError(err)),
    );
    return () => {
      gone = true;
    };
  }, [session, reportId, revision]);

  const verified = report?.messages.filter((m) => m.verified).length ?? 0;
  return (
    <article className="report-view" aria-labelledby="report-heading">
      <PaneHead
        headingId="report-heading"
        title={report ? `${REASON_LABELS[report.reason] ?? report.reason}: ${report.reported.name}` : "Report"}
        subtitle={report && `Reported by ${report.reporter.name}, ${when(report.createdAt)} · ${report.status === "open" ? "Open" : "Decided"}`}
        onBack={onBack}
      >
        {report && highPriority(report) && <span className="tag danger-tag">High priority</span>}
      </PaneHead>
      <FormError message={error} />
      {!report ? (
        !error && (
          <p className="empty" role="status">
            Loading report…
          </p>
        )
      ) : (
        <div className="report-body">
          {report.note && (
            <p className="reporter-note">
              <strong>Reporter's note:</strong> {report.note}
            </p>
          )}
          <section className="panel" aria-labelledby="messages-heading">
            <h3 id="messages-heading">Messages</h3>
            <p className="hint" data-testid="verified-count">
              {verified} of {report.messages.length} verified: the server checked their franking, so they are exactly what the sender sent.
            </p>
            <ol className="report-messages" aria-label="Reported messages">
              {report.messages.map((m) => (
                <li key={m.messageId} className={m.reported ? "report-message reported-message" : "report-message"} data-testid="report-message">
                  <div className="report-message-head">
                    <strong>{m.sender.name}</strong>
                    <time>{when(m.acceptedAt)}</time>
                    {m.verified ? <span className="verified">Verified</span> : <span className="unverified">Not verified</span>}
                    {m.reported && <span className="tag">Reported message</span>}
                  </div>
                  {m.text && <p className="text">{m.text}</p>}
                  {m.files.map((f) => (
                    <ReportedFile key={f.blobId} file={f} />
                  ))}
                </li>
              ))}
            </ol>
          </section>
          {(report.detection || (report.evidence?.length ?? 0) > 0) && (
            <section className="panel" aria-labelledby="detection-heading">
              <h3 id="detection-heading">Known-image detection</h3>
              {report.detection && (
                <p>
                  {report.detection.flagged ? "Matched a known-image list" : "Checked"} ({report.detection.source}), priority {report.detection.priority}.
                </p>
              )}
              {(report.evidence?.length ?? 0) > 0 && (
                <>
                  <p className="hint">{report.evidence!.length} file(s) kept as encrypted evidence (docs/known-images.md).</p>
                  <EvidenceList items={report.evidence!} />
                </>
              )}
            </section>
          )}
          <AccountPanel name={report.reported.name} revision={revision} />
          {report.status === "open" ? (
            <DecisionForm
              key={report.reportId}
              reportId={report.reportId}
              onDecided={(action) => {
                setDecided(action);
                setRevision((n) => n + 1);
                onDecided();
              }}
            />
          ) : (
            <p className="panel" role="status">
              {decided ? `Decision recorded: ${decided}.` : "This report has been decided."} See the account's decisions and the audit trail.
            </p>
          )}
        </div>
      )}
    </article>
  );
}
