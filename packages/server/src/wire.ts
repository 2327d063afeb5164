import { fromB64, toB64, type QueueItem } from "@safelight/protocol";
import { ApiError } from "./errors.js";
import type { QueueItemRecord } from "./storage/types.js";

/** Decodes a base64url field or throws 400 naming the field. */
export function b64Field(value: string, field: string): Uint8Array {
  const out = fromB64(value);
  if (out === undefined) throw new ApiError("SL_ERR_BAD_REQUEST", `${field} is not canonical unpadded base64url`);
  return out;
}

/** QueueItem as it appears on the wire (docs/protocol.md, per-device queues). */
export function queueItemJson(item: QueueItemRecord & { request?: boolean }): QueueItem {
  return {
    id: item.id,
    seq: item.seq,
    kind: item.kind,
    sentAt: item.sentAt,
    ...(item.groupId && { groupId: toB64(item.groupId) }),
    ...(item.sender && { sender: item.sender }),
    ...(item.data && { data: toB64(item.data) }),
    ...(item.frank && { frank: item.frank }),
    ...(item.request && { request: true }),
  };
}
