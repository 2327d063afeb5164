/**
 * The JSON of a device's queue and of the delivery WebSocket `GET /v1/ws` (docs/protocol.md, "Queue" and
 * "WebSocket"), declared once for the server that emits it and the SDK that reads it. Types only: the
 * server checks incoming frames against its JSON schemas (packages/server/src/routes/wsFrames.ts).
 */
import type { ServerFrank } from "./franking.js";

/** One item of a device's queue. Byte strings are base64url. */
export interface QueueItem {
  id: string;
  seq: number;
  kind: "commit" | "welcome" | "application" | "device-linked" | "safety-notice";
  groupId?: string;
  sender?: { accountId: string; deviceId: string };
  sentAt: number;
  data?: string;
  /** Present on application items: the server's franking stamp (docs/franking.md). */
  frank?: ServerFrank;
  /** From a conversation that is still a message request for this account (docs/safety.md). */
  request?: boolean;
}

/** Client → server: removes these items from the device's queue, like `POST /v1/queue/ack`. */
export interface AckFrame {
  type: "ack";
  ids: string[];
}

/** Client → server: an application message, under the rules of `POST /v1/groups/:groupId/messages`. */
export interface SendFrame {
  type: "send";
  reqId: string;
  groupId: string;
  message: string;
}

export type ClientFrame = AckFrame | SendFrame;

/** Server → client: an item appended to this device's queue while the socket is open. */
export interface ItemFrame {
  type: "item";
  item: QueueItem;
}

/** Server → client: the `send` with this `reqId` was accepted as message `id`. */
export interface SentFrame {
  type: "sent";
  reqId: string;
  id: string;
}

/** Server → client: a refused `send` (with its `reqId`) or an unrecognised frame (without). The code is an
 *  `SL_ERR_*` of docs/errors.md; other fields are the error's details, e.g. `currentEpoch`. */
export interface ErrorFrame {
  type: "error";
  reqId?: string;
  code: string;
  message: string;
  currentEpoch?: number;
}

export type ServerFrame = ItemFrame | SentFrame | ErrorFrame;
