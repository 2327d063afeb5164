import { ApiError, isStorageFull, storageFull, type ErrorCode } from "./errors.js";
import { StorageError, type StorageErrorKind } from "./storage/storageError.js";

/** The one place a storage refusal becomes a wire error (docs/errors.md). */
const CODES: Record<StorageErrorKind, ErrorCode> = {
  "name-taken": "SL_ERR_NAME_TAKEN",
  "key-taken": "SL_ERR_KEY_TAKEN",
  "group-exists": "SL_ERR_GROUP_EXISTS",
  "no-such-group": "SL_ERR_NOT_FOUND",
  "not-member": "SL_ERR_FORBIDDEN",
  "stale-epoch": "SL_ERR_STALE_EPOCH",
  "bad-challenge": "SL_ERR_BAD_CHALLENGE",
  "bad-proof": "SL_ERR_BAD_PROOF",
  "bad-link-code": "SL_ERR_BAD_LINK_CODE",
  "commit-sender-mismatch": "SL_ERR_BAD_COMMIT",
  "welcome-required": "SL_ERR_BAD_COMMIT",
  "blank-leaf-removal": "SL_ERR_BAD_COMMIT",
  "committer-removal": "SL_ERR_BAD_COMMIT",
  "already-member": "SL_ERR_BAD_COMMIT",
  "no-such-device": "SL_ERR_NOT_FOUND",
};

function fromStorage({ failure, message }: StorageError): ApiError {
  // Only the epoch travels as a detail: a client refetches and retries from it (SL_ERR_STALE_EPOCH).
  const details = failure.kind === "stale-epoch" ? { currentEpoch: failure.currentEpoch } : undefined;
  return new ApiError(CODES[failure.kind], message, details);
}

/** `err` as the ApiError it answers with: one the server raised on purpose, a storage failure, or the
 *  disk or database filling up (SL_ERR_STORAGE_FULL); otherwise undefined. */
export function asApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof StorageError) return fromStorage(err);
  if (isStorageFull(err)) return storageFull();
  return undefined;
}
