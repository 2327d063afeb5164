/** Typed calls for each endpoint of docs/protocol.md. Byte strings are base64url on the wire. */
import type { FrankOpening, KtEntry, QueueItem, SignedTreeHead } from "@safelight/protocol";
import type { HttpTransport } from "./http.js";
import type { AccountFile, AuditLog, DecisionAction, ReportDetail, ReportReason, ReportSummary } from "./moderationTypes.js";

export interface Session {
  accountId: string;
  deviceId: string;
  token: string;
  expiresAt: number;
}

/** A signed tree head of the key-transparency log, with the franking key id that signed it. */
export type ServedTreeHead = SignedTreeHead & { keyId: string };

/** The key-transparency proof on a directory answer (docs/key-transparency.md): each served device's
 *  `add` entry (index, time) and its inclusion path under `head`. */
export interface DirectoryProof {
  head: ServedTreeHead;
  devices: { deviceId: string; index: number; time: number; proof: string[] }[];
}

export interface AccountInfo {
  accountId: string;
  name: string;
  devices: { deviceId: string; signatureKey: string }[];
  kt: DirectoryProof;
}

/** One of this account's devices as GET /v1/devices lists it; `current` is the calling device. */
export interface AccountDevice {
  deviceId: string;
  signatureKey: string;
  createdAt: number;
  current: boolean;
}

export interface ClaimedKeyPackage {
  accountId: string;
  deviceId: string;
  keyPackage: string;
}

export type Opening = FrankOpening;

export type { QueueItem };

export interface GroupInfo {
  groupId: string;
  epoch: number;
  members: { leaf: number; accountId: string; deviceId: string }[];
}

export class Api {
  constructor(readonly http: HttpTransport) {}

  challenge() {
    return this.http.request<{ challenge: string; expiresAt: number }>("POST", "/v1/auth/challenge", {});
  }
  register(body: { name: string; birthdate: string; signatureKey: string; challenge: string; signature: string }) {
    return this.http.request<Session>("POST", "/v1/accounts", body);
  }
  login(body: { deviceId: string; challenge: string; signature: string }) {
    return this.http.request<Session>("POST", "/v1/sessions", body);
  }
  createLinkCode() {
    return this.http.request<{ code: string; expiresAt: number }>("POST", "/v1/link-codes", {});
  }
  linkDevice(body: { code: string; signatureKey: string; challenge: string; signature: string }) {
    return this.http.request<Session>("POST", "/v1/devices", body);
  }
  devices() {
    return this.http.request<{ devices: AccountDevice[] }>("GET", "/v1/devices");
  }
  removeDevice(deviceId: string) {
    return this.http.request<{ deviceId: string; revokedAt: number }>("DELETE", `/v1/devices/${encodeURIComponent(deviceId)}`);
  }
  accountByName(name: string) {
    return this.http.request<AccountInfo>("GET", `/v1/accounts/by-name/${encodeURIComponent(name)}`);
  }
  account(accountId: string) {
    return this.http.request<AccountInfo>("GET", `/v1/accounts/${encodeURIComponent(accountId)}`);
  }
  uploadKeyPackages(keyPackages: string[], lastResort?: string) {
    return this.http.request<{ stored: number; available: number }>("POST", "/v1/key-packages", {
      keyPackages,
      ...(lastResort ? { lastResort } : {}),
    });
  }
  keyPackageCount() {
    return this.http.request<{ available: number; lastResort: boolean }>("GET", "/v1/key-packages/count");
  }
  claimKeyPackages(accountId: string, excludeDeviceId?: string) {
    return this.http.request<{ keyPackages: ClaimedKeyPackage[]; kt: DirectoryProof }>("POST", "/v1/key-packages/claim", {
      accountId,
      ...(excludeDeviceId ? { excludeDeviceId } : {}),
    });
  }
  createGroup(groupId: string) {
    return this.http.request<{ groupId: string; epoch: number }>("POST", "/v1/groups", { groupId });
  }
  group(groupId: string) {
    return this.http.request<GroupInfo>("GET", `/v1/groups/${groupId}`);
  }
  postCommit(groupId: string, commit: string, welcome?: string) {
    return this.http.request<{ id: string; epoch: number }>("POST", `/v1/groups/${groupId}/commits`, {
      commit,
      ...(welcome ? { welcome } : {}),
    });
  }
  postMessage(groupId: string, message: string) {
    // acceptedRequestFrom: this message was a reply that accepted that account's request (docs/safety.md).
    return this.http.request<{ id: string; acceptedRequestFrom?: string }>("POST", `/v1/groups/${groupId}/messages`, { message });
  }
  queue(limit = 100) {
    return this.http.request<{ items: QueueItem[] }>("GET", `/v1/queue?limit=${limit}`);
  }
  ack(ids: string[]) {
    return this.http.request<{ removed: number }>("POST", "/v1/queue/ack", { ids });
  }
  frankingKeys() {
    return this.http.request<{ keys: { keyId: string; publicKey: string; createdAt: number; retiredAt?: number }[] }>(
      "GET",
      "/v1/franking/keys",
    );
  }
  ktHead() {
    return this.http.request<ServedTreeHead>("GET", "/v1/kt/head");
  }
  ktEntries(start: number, end: number) {
    return this.http.request<{ entries: KtEntry[] }>("GET", `/v1/kt/entries?start=${start}&end=${end}`);
  }
  ktConsistency(first: number, second: number) {
    return this.http.request<{ proof: string[] }>("GET", `/v1/kt/consistency?first=${first}&second=${second}`);
  }
  report(body: { reason: ReportReason; note?: string; reported: Opening; context: Opening[]; attachments?: { messageId: string; name: string; type: string; data: string }[] }) {
    return this.http.request<{ reportId: string; verified: number; unverified: string[]; attachments?: number }>("POST", "/v1/reports", body);
  }
  modReports(status: "open" | "decided" | "all") {
    return this.http.request<{ reports: ReportSummary[] }>("GET", `/v1/mod/reports?status=${status}`);
  }
  modReport(reportId: string) {
    return this.http.request<ReportDetail>("GET", `/v1/mod/reports/${encodeURIComponent(reportId)}`);
  }
  modDecide(reportId: string, action: DecisionAction, note?: string) {
    return this.http.request<{ decisionId: string }>("POST", `/v1/mod/reports/${encodeURIComponent(reportId)}/decision`, {
      action,
      ...(note ? { note } : {}),
    });
  }
  modAccount(accountId: string) {
    return this.http.request<AccountFile>("GET", `/v1/mod/accounts/${encodeURIComponent(accountId)}`);
  }
  modAudit(limit = 100) {
    return this.http.request<AuditLog>("GET", `/v1/mod/audit?limit=${limit}`);
  }
  uploadBlob(bytes: Uint8Array) {
    return this.http.upload<{ blobId: string; size: number; expiresAt: number }>("/v1/blobs", bytes);
  }
  downloadBlob(blobId: string) {
    return this.http.download(`/v1/blobs/${encodeURIComponent(blobId)}`);
  }

  // ---- known-image detection (docs/known-images.md) ----
  putProfilePicture(bytes: Uint8Array) {
    return this.http.upload<{ status: "ok" | "pending" }>("/v1/profile/picture", bytes, "PUT");
  }
  getProfilePicture(accountId: string) {
    return this.http.download(`/v1/accounts/${encodeURIComponent(accountId)}/picture`);
  }
  /** Moderators: a preserved evidence file's bytes; the server audits every such view. */
  getEvidenceContent(evidenceId: string) {
    return this.http.download(`/v1/mod/evidence/${encodeURIComponent(evidenceId)}/content`);
  }
  /** Admin and moderator endpoints of known-image detection, as JSON. */
  json<T>(method: "GET" | "POST" | "PUT", path: string, body?: unknown) {
    return this.http.request<T>(method, path, body);
  }
}
