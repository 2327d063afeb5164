/** Turns SDK and network failures into a sentence for the person using the app. */
export function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  switch (e.code) {
    case "SL_CLIENT_UNREACHABLE":
      return "Cannot reach the server. Check your connection and try again.";
    case "SL_ERR_NAME_TAKEN":
      return "That name is already taken.";
    case "SL_ERR_NOT_FOUND":
      return e.message?.includes("account") ? "No account with that name." : (e.message ?? "Not found.");
    default:
      return e.message ?? String(err);
  }
}
