/** Known-image detection calls (docs/known-images.md): profile pictures, hash lists, transparency figures,
 *  detections and preserved evidence. The server decides who may make which call. */
import type { DetectionFlag, EvidenceItem } from "../transport/moderationTypes.js";
import type { SessionContext } from "./context.js";

/** A hash list as the admin endpoints describe it (docs/known-images.md). */
export interface HashListInfo {
  listId: string;
  name: string;
  sourceOrg: string;
  threshold: number;
  status: "active" | "retired";
  hashCount: number;
  distinctCount: number;
  importedBy: string;
  importedAt: number;
  retiredBy: string | null;
  retiredAt: number | null;
  replaces: string | null;
}

/** Known-image detection (docs/known-images.md): pictures for everyone, hash lists and figures for
 *  admins, detection items and evidence for moderators. */
export function knownImageCalls(ctx: SessionContext) {
  const q = (params: Record<string, string | number | undefined>) => {
    const entries = Object.entries(params).filter(([, v]) => v !== undefined) as [string, string | number][];
    return entries.length ? `?${entries.map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join("&")}` : "";
  };
  type ListInput = { name: string; sourceOrg: string; threshold?: number; csv: string; skipInvalid?: boolean };
  return {
    setProfilePicture: (bytes: Uint8Array) => ctx.authed((a) => a.putProfilePicture(bytes)),
    profilePicture: async (name: string) => ctx.authed(async (a) => a.getProfilePicture((await ctx.dir.byName(name)).accountId)),
    lists: () => ctx.authed((a) => a.json<{ lists: HashListInfo[] }>("GET", "/v1/admin/hash-lists")),
    importList: (input: ListInput) => ctx.authed((a) => a.json<{ list: HashListInfo; skipped: { line: number; message: string }[] }>("POST", "/v1/admin/hash-lists", input)),
    replaceList: (listId: string, input: ListInput) =>
      ctx.authed((a) => a.json<{ list: HashListInfo; skipped: { line: number; message: string }[] }>("PUT", `/v1/admin/hash-lists/${encodeURIComponent(listId)}`, input)),
    retireList: (listId: string) => ctx.authed((a) => a.json<{ list: HashListInfo }>("POST", `/v1/admin/hash-lists/${encodeURIComponent(listId)}/retire`)),
    digest: () => ctx.authed((a) => a.json<Record<string, unknown>>("GET", "/v1/hash-lists/digest")),
    transparency: (period: "day" | "month" = "month", from?: number, to?: number) =>
      ctx.authed((a) => a.json<Record<string, unknown>>("GET", `/v1/admin/transparency${q({ period, from, to })}`)),
    detections: () => ctx.authed((a) => a.json<{ items: DetectionFlag[] }>("GET", "/v1/mod/detections")),
    evidence: (reportId: string) => ctx.authed((a) => a.json<{ detection: DetectionFlag | null; evidence: EvidenceItem[] }>("GET", `/v1/mod/reports/${encodeURIComponent(reportId)}/evidence`)),
    /** The preserved file itself (audited as `evidence.view`, docs/known-images.md). */
    evidenceContent: (evidenceId: string) => ctx.authed((a) => a.getEvidenceContent(evidenceId)),
  };
}
