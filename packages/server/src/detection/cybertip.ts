/**
 * CyberTipline-style reports to the authorities (docs/known-images.md). From an escalated report we build a
 * JSON document (schema: docs/cybertip-report.schema.json) and an XML rendering shaped like NCMEC's public
 * report schema. Nothing is sent anywhere: an AuthorityReportSink receives both; the file sink writes
 * `<data>/cybertip/<reportId>.{json,xml}`. A submitting sink is the adapter point.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FrankProof } from "@safelight/protocol";

export interface CyberTipFile {
  fileId: string;
  fileName: string;
  contentType: string;
  size: number;
  source: string;
  hashes: { sha256: string; pdq?: string };
  pdqQuality?: number;
  fileViewedByEsp: boolean;
  publiclyAvailable: boolean;
  /** `transform`: the image matched rotated or mirrored (PDQ's dihedral names, docs/known-images.md). */
  matches: { listName: string; sourceOrg: string; distance: number; entryId?: string; label?: string; transform?: string }[];
  preservedAt: string;
}

export interface ChatMessage {
  messageId: string;
  senderScreenName: string;
  senderEspUserId: string;
  dateTime: string;
  text: string;
  attachmentNames: string[];
  verified: boolean;
  reportedMessage: boolean;
  /** The server's stamp with the message's inclusion proof in its signed batch (docs/franking.md); no
   *  proof for reports stored before batch signing. */
  franking: { keyId: string; serverFrank: string; signature: string; proof?: FrankProof };
}

export interface CyberTipReport {
  schemaVersion: 1;
  reportId: string;
  producedAt: string;
  producedBy: { espUserId: string; screenName: string };
  reporter: {
    esp: { name: string };
    reportingPerson: { screenName: string; espUserId: string; role: string };
  };
  incidentSummary: { incidentType: string; incidentDateTime: string; reportReason: string; escalationNote: string };
  reportedPerson: { screenName: string; espUserId: string; ipCaptureEvents: { ipAddress: string; eventName: string; dateTime: string }[]; ipLogging: string };
  uploadedFiles: CyberTipFile[];
  chatEvidence: { conversationId: string; messages: ChatMessage[] };
  additionalInfo: string;
}

export interface AuthorityReportSink {
  /** Stores (or submits) one report; returns where it went. */
  deliver(report: CyberTipReport, xml: string): Promise<{ jsonPath: string; xmlPath: string; json: string }>;
}

export class FileReportSink implements AuthorityReportSink {
  constructor(private readonly dir: string) {}

  async deliver(report: CyberTipReport, xml: string): Promise<{ jsonPath: string; xmlPath: string; json: string }> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const base = join(this.dir, report.reportId.replace(/[^A-Za-z0-9_-]/g, "_"));
    const json = JSON.stringify(report, null, 2) + "\n";
    const write = async (path: string, text: string) => {
      await writeFile(`${path}.tmp`, text, { mode: 0o600 });
      await rename(`${path}.tmp`, path);
    };
    await write(`${base}.json`, json);
    await write(`${base}.xml`, xml);
    return { jsonPath: `${base}.json`, xmlPath: `${base}.xml`, json };
  }
}

export function incidentTypeFor(reason: string, matched: boolean): string {
  if (matched || reason === "child_sexual_exploitation") return "Child Pornography (possession, manufacture, and distribution)";
  if (reason === "grooming") return "Online Enticement of Children for Sexual Acts";
  return "Unsolicited Obscene Material Sent to a Child";
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");

function el(name: string, content: string | string[] | undefined, attrs = ""): string {
  if (content === undefined) return "";
  const inner = Array.isArray(content) ? content.join("") : esc(content);
  return `<${name}${attrs}>${inner}</${name}>`;
}

/** XML in the shape of NCMEC's CyberTipline report schema (element names and nesting). */
export function cyberTipXml(r: CyberTipReport): string {
  const body = el("report", [
    el("incidentSummary", [el("incidentType", r.incidentSummary.incidentType), el("incidentDateTime", r.incidentSummary.incidentDateTime)]),
    el("internetDetails", [
      el("chatImIncident", [
        el("chatClient", r.reporter.esp.name),
        el("chatRoomName", r.chatEvidence.conversationId),
        el("content", r.chatEvidence.messages.map((m) =>
          el("message", [
            el("messageId", m.messageId),
            el("screenName", m.senderScreenName),
            el("espUserId", m.senderEspUserId),
            el("dateTime", m.dateTime),
            el("text", m.text),
            el("verified", String(m.verified)),
            el("reportedMessage", String(m.reportedMessage)),
            el("franking", [
              el("keyId", m.franking.keyId),
              el("serverFrank", m.franking.serverFrank),
              el("signature", m.franking.signature),
              m.franking.proof
                ? el("proof", [
                    el("leafIndex", String(m.franking.proof.leafIndex)),
                    el("treeSize", String(m.franking.proof.treeSize)),
                    el("inclusionPath", m.franking.proof.inclusionPath.map((h) => el("hash", h))),
                  ])
                : "",
            ]),
          ]),
        )),
      ]),
    ]),
    el("reporter", [
      el("reportingPerson", [el("screenName", r.reporter.reportingPerson.screenName), el("espUserId", r.reporter.reportingPerson.espUserId)]),
      el("espName", r.reporter.esp.name),
    ]),
    el("personOrUserReported", [
      el("espIdentifier", r.reportedPerson.espUserId),
      el("screenName", r.reportedPerson.screenName),
      ...r.reportedPerson.ipCaptureEvents.map((e) => el("ipCaptureEvent", [el("ipAddress", e.ipAddress), el("eventName", e.eventName), el("dateTime", e.dateTime)])),
    ]),
    el("uploadedFiles", r.uploadedFiles.map((f) =>
      el("fileDetails", [
        el("fileId", f.fileId),
        el("originalFileName", f.fileName),
        el("fileViewedByEsp", String(f.fileViewedByEsp)),
        el("publiclyAvailable", String(f.publiclyAvailable)),
        el("originalFileHash", f.hashes.sha256, ' hashType="SHA256"'),
        f.hashes.pdq ? el("originalFileHash", f.hashes.pdq, ' hashType="PDQ"') : "",
        el(
          "additionalInfo",
          f.matches.map((m) => `matched ${m.listName} (${m.sourceOrg}) at distance ${m.distance}${m.transform ? `, as ${m.transform}` : ""}`).join("; ") || "no list match",
        ),
      ]),
    )),
    el("additionalInfo", r.additionalInfo),
  ], ` xsi:noNamespaceSchemaLocation="https://report.cybertip.org/ispws/xsd" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" safelightReportId="${esc(r.reportId)}"`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}\n`;
}
