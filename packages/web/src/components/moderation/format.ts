/** Labels and formatting for the moderator console; the response types are the SDK's (@safelight/client). */
import type { ReportReason } from "@safelight/client";

export const REASON_LABELS: Record<ReportReason, string> = {
  child_sexual_exploitation: "Child sexual exploitation",
  grooming: "Grooming",
  harassment: "Harassment",
  spam: "Spam or scam",
  other: "Other",
};

export const when = (ms: number) => new Date(ms).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });

export const highPriority = (r: { priority?: string }) => r.priority !== undefined && r.priority !== "normal";

/** Who took a safety action: the automatic rules record `auto` (docs/safety.md). */
export const actionBy = (createdBy: string) => (createdBy === "auto" ? "automatic rule" : createdBy);

/** An automatic action's detail (`{signal, count, threshold, windowHours}`, docs/safety.md) in words;
 *  anything else as it is. */
export function actionDetail(detail: string): string {
  try {
    const d = JSON.parse(detail) as { signal?: unknown; count?: unknown; threshold?: unknown; windowHours?: unknown };
    if (typeof d.signal === "string" && typeof d.count === "number") return `${d.count} × ${d.signal} in ${d.windowHours} h (over ${d.threshold})`;
  } catch {
    // not JSON: a moderator's own words
  }
  return detail;
}
