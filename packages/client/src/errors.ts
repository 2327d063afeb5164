/** Every failure the SDK reports: `code` is the server's SL_ERR_* code or a client-side SL_CLIENT_* one. */
export class SafelightError extends Error {
  override name = "SafelightError";
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
