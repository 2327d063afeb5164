/**
 * The server's error vocabulary. Every code here must be documented in docs/errors.md
 * (test/errors-documented.test.ts enforces it).
 */

export const ERROR_CODES = {
  SL_ERR_BAD_REQUEST: 400,
  SL_ERR_MALFORMED_JSON: 400,
  SL_ERR_BAD_MLS: 400,
  SL_ERR_BAD_KEY_PACKAGE: 400,
  SL_ERR_BAD_COMMIT: 400,
  SL_ERR_BAD_LINK_CODE: 400,
  SL_ERR_REPORT_UNVERIFIED: 400,
  SL_ERR_UNAUTHENTICATED: 401,
  SL_ERR_BAD_CHALLENGE: 401,
  SL_ERR_BAD_PROOF: 401,
  SL_ERR_FORBIDDEN: 403,
  SL_ERR_ACCOUNT_BANNED: 403,
  SL_ERR_DEVICE_REVOKED: 403,
  SL_ERR_AGE_RESTRICTED: 403,
  SL_ERR_CONTACT_RESTRICTED: 403,
  SL_ERR_ACCOUNT_RESTRICTED: 403,
  SL_ERR_REQUEST_PENDING: 403,
  SL_ERR_QUOTA_EXCEEDED: 403,
  SL_ERR_NOT_FOUND: 404,
  SL_ERR_NAME_TAKEN: 409,
  SL_ERR_KEY_TAKEN: 409,
  SL_ERR_GROUP_EXISTS: 409,
  SL_ERR_STALE_EPOCH: 409,
  SL_ERR_DUPLICATE_REPORT: 409,
  SL_ERR_TOO_LARGE: 413,
  SL_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  SL_ERR_IMAGE_REFUSED: 422,
  SL_ERR_RATE_LIMITED: 429,
  SL_ERR_INTERNAL: 500,
  SL_ERR_UNAVAILABLE: 503,
  SL_ERR_STORAGE_FULL: 507,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error a handler throws on purpose; the error handler turns it into the JSON envelope. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra top-level fields inside `error`, e.g. `currentEpoch` for SL_ERR_STALE_EPOCH. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = ERROR_CODES[code];
    this.details = details;
  }
}

/**
 * Whether `err` is the disk (or quota) being full: ENOSPC/EDQUOT from the file system (blobs),
 * SQLITE_FULL from SQLite, 53100 disk_full from PostgreSQL. Answered SL_ERR_STORAGE_FULL (507): new
 * writes are refused until space returns, reads go on.
 */
export function isStorageFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT" || code === "SQLITE_FULL" || code === "53100";
}

export const storageFull = () => new ApiError("SL_ERR_STORAGE_FULL", "the server is out of storage space; try again later");

export function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>) {
  return { error: { code, message, ...details } };
}
