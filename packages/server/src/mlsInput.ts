import { inspectMessage, MlsInspectError, type InspectedMessage, type WireformatLabel } from "@safelight/protocol";
import { ApiError } from "./errors.js";
import { b64Field } from "./wire.js";

/** base64url MLSMessage from JSON → bytes + inspection; 413 when too large, 400 SL_ERR_BAD_MLS for anything unreadable. */
export function readMls(
  value: string,
  field: string,
  wireformat: WireformatLabel,
): { bytes: Uint8Array; info: InspectedMessage } {
  const bytes = b64Field(value, field);
  let info: InspectedMessage;
  try {
    info = inspectMessage(bytes);
  } catch (err) {
    if (err instanceof MlsInspectError) {
      throw new ApiError(err.kind === "too-large" ? "SL_ERR_TOO_LARGE" : "SL_ERR_BAD_MLS", `${field}: ${err.message}`);
    }
    throw err;
  }
  // SL-V002 (RFC 9420 §6, RFC 9750 §5.1): each field takes one wireformat; handshakes are PublicMessages
  if (info.wireformat !== wireformat) {
    throw new ApiError("SL_ERR_BAD_MLS", `${field} must be an MLSMessage with wireformat mls_${wireformat}`);
  }
  return { bytes, info };
}
