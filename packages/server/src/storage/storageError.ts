/**
 * Why a storage call refused. Both drivers raise the same failure for the same situation; storage
 * knows nothing of HTTP, and the server maps each kind onto its SL_ERR_* code in one place
 * (../storageErrorCodes.ts).
 */
export type StorageFailure =
  | { readonly kind: "name-taken" }
  | { readonly kind: "key-taken" }
  | { readonly kind: "group-exists" }
  | { readonly kind: "no-such-group" }
  | { readonly kind: "not-member" }
  | { readonly kind: "stale-epoch"; readonly currentEpoch: number }
  | { readonly kind: "bad-challenge" }
  | { readonly kind: "bad-proof" }
  | { readonly kind: "bad-link-code" }
  | { readonly kind: "commit-sender-mismatch" }
  | { readonly kind: "welcome-required" }
  | { readonly kind: "blank-leaf-removal"; readonly leaf: number }
  | { readonly kind: "committer-removal" }
  | { readonly kind: "already-member"; readonly deviceId: string }
  | { readonly kind: "no-such-device" };

export type StorageErrorKind = StorageFailure["kind"];

function describe(f: StorageFailure): string {
  switch (f.kind) {
    case "name-taken":
      return "that name is taken";
    case "key-taken":
      return "that signature key belongs to another device";
    case "group-exists":
      return "group id in use";
    case "no-such-group":
      return "no such group";
    case "not-member":
      return "not a member of this group";
    case "stale-epoch":
      return `epoch is stale; the group is at epoch ${f.currentEpoch}`;
    case "bad-challenge":
      return "unknown, used or expired challenge";
    case "bad-proof":
      return "unknown device or bad signature";
    case "bad-link-code":
      return "unknown, used or expired link code";
    case "commit-sender-mismatch":
      return "commit sender leaf is not the caller's leaf";
    case "welcome-required":
      return "a commit that adds members needs a welcome";
    case "blank-leaf-removal":
      return `remove of blank leaf ${f.leaf}`;
    case "committer-removal":
      return "a commit cannot remove its committer";
    case "already-member":
      return `device ${f.deviceId} is already a member`;
    case "no-such-device":
      return "no such device on this account";
  }
}

/** A refusal by storage, as opposed to a driver or database fault (those stay the driver's errors). */
export class StorageError extends Error {
  readonly failure: StorageFailure;

  constructor(failure: StorageFailure) {
    super(describe(failure));
    this.name = "StorageError";
    this.failure = failure;
  }
}
