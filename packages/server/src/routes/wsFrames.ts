/**
 * JSON schemas of the delivery WebSocket's frames (docs/protocol.md, "WebSocket"); the TypeScript types are
 * @safelight/protocol's (src/wsFrames.ts), shared with the SDK. The HTTP routes get their bodies checked by
 * Fastify; a socket's frames are checked here with the same validator (ajv), compiled once.
 */
import { Ajv } from "ajv";
import type { ClientFrame } from "@safelight/protocol";
import { object, queueItemSchema } from "../schemas.js";
import { ackIdsSchema } from "./queue.js";

const tag = (type: string) => ({ type: "string", const: type }) as const;

/** Frames a client may send. `groupId` and `message` are decoded by the handler, like the HTTP route's. */
export const ackFrameSchema = object({ type: tag("ack"), ids: ackIdsSchema });
export const sendFrameSchema = object({
  type: tag("send"),
  reqId: { type: "string", maxLength: 64 },
  groupId: { type: "string" },
  message: { type: "string" },
});
export const clientFrameSchema = { oneOf: [ackFrameSchema, sendFrameSchema] } as const;

/** Frames the server sends. */
export const itemFrameSchema = object({ type: tag("item"), item: queueItemSchema });
export const sentFrameSchema = object({ type: tag("sent"), reqId: { type: "string" }, id: { type: "string" } });
export const errorFrameSchema = object(
  {
    type: tag("error"),
    reqId: { type: "string" },
    code: { type: "string", pattern: "^SL_ERR_[A-Z_]+$" },
    message: { type: "string" },
    currentEpoch: { type: "integer" },
  },
  ["reqId", "currentEpoch"],
);
export const serverFrameSchema = { oneOf: [itemFrameSchema, sentFrameSchema, errorFrameSchema] } as const;

const isClientFrame = new Ajv({ allErrors: false }).compile<ClientFrame>(clientFrameSchema);

/** The frame in `text`, or undefined when it is not JSON or matches no client frame schema. */
export function parseClientFrame(text: string): ClientFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isClientFrame(value) ? value : undefined;
}
