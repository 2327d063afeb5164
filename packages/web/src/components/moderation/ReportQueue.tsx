/** The report queue: status, reason and priority filters, newest first, high-priority (known-image
 *  matches) items marked. */
import type { ReportReason, ReportSummary } from "@safelight/client";
import { useId } from "react";
import { highPriority, REASON_LABELS, when } from "./format.js";

export type StatusFilter = "open" | "decided" | "all";

export function ReportQueue(props: {
  reports: ReportSummary[] | undefined;
  status: StatusFilter;
  reason: ReportReason | "";
  highOnly: boolean;
  selected: string | undefined;
  onStatus: (s: StatusFilter) => void;
  onReason: (r: ReportReason | "") => void;
  onHighOnly: (highOnly: boolean) => void;
  onSelect: (reportId: string) => void;
}) {
  const id = useId();
  const shown = props.reports?.filter((r) => (!props.reason || r.reason === props.reason) && (!props.highOnly || highPriority(r)));
  return (
    <>
      <form className="filters" aria-label="Filter reports" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label htmlFor={`${id}-status`}>Status</label>
          <select id={`${id}-status`} value={props.status} onChange={(e) => props.onStatus(e.target.value as StatusFilter)}>
            <option value="open">Open</option>
            <option value="decided">Decided</option>
            <option value="all">All</option>
          </select>
        </div>
        <div>
          <label htmlFor={`${id}-reason`}>Reason</label>
          <select id={`${id}-reason`} value={props.reason} onChange={(e) => props.onReason(e.target.value as ReportReason | "")}>
            <option value="">Any reason</option>
            {Object.entries(REASON_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${id}-priority`}>Priority</label>
          <select id={`${id}-priority`} value={props.highOnly ? "high" : ""} onChange={(e) => props.onHighOnly(e.target.value === "high")}>
            <option value="">Any priority</option>
            <option value="high">High (known-image match)</option>
          </select>
        </div>
      </form>
      {shown === undefined ? (
        <p className="empty" role="status">
          Loading reports…
        </p>
      ) : shown.length === 0 ? (
        <p className="empty">No reports match.</p>
      ) : (
        <ul className="conversations" aria-label="Reports">
          {shown.map((r) => (
            <li key={r.reportId}>
              <button
                type="button"
                className="conversation report-item"
                data-testid="report"
                aria-current={r.reportId === props.selected}
                onClick={() => props.onSelect(r.reportId)}
              >
                <span className="conversation-text">
                  <span className="conversation-label">
                    {highPriority(r) && <span className="tag danger-tag">High priority</span>}
                    {REASON_LABELS[r.reason] ?? r.reason}: {r.reported.name}
                  </span>
                  <span className="conversation-preview">
                    reported by {r.reporter.name} · {r.messageCount === 1 ? "1 message" : `${r.messageCount} messages`} · {when(r.createdAt)}
                  </span>
                </span>
                <span className={`status status-${r.status}`}>{r.status === "open" ? "Open" : "Decided"}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
