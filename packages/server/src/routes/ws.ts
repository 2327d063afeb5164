import type { FastifyInstance } from "fastify";
import type { ServerFrame } from "@safelight/protocol";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import type { ServerContext } from "../context.js";
import { acceptApplication } from "../delivery.js";
import { ApiError } from "../errors.js";
import { caller, makeAuthHooks } from "../plugins/auth.js";
import type { DeviceRef } from "../storage/types.js";
import { asApiError } from "../storageErrorCodes.js";
import { b64Field } from "../wire.js";
import { checkGroupId } from "../delivery.js";
import { queueItemJson } from "../wire.js";
import { parseClientFrame } from "./wsFrames.js";

const MAX_FRAME_BYTES = 1024 * 1024;

type Send = (frame: ServerFrame) => void;

/**
 * Sends JSON frames so that all those for one socket in one event-loop turn (the replies and pushes of a
 * group commit) leave in one write: the TCP socket is corked until the next turn. ws has no public cork;
 * without its `_socket` this degrades to one write per frame.
 */
function corkingSender(socket: WebSocket): Send {
  const tcp = (socket as unknown as { _socket?: Duplex })._socket;
  let corked = false;
  return (frame) => {
    if (tcp !== undefined && !corked) {
      tcp.cork();
      corked = true;
      setImmediate(() => {
        corked = false;
        tcp.uncork();
      });
    }
    socket.send(JSON.stringify(frame));
  };
}

async function handleFrame(ctx: ServerContext, device: DeviceRef, send: Send, raw: string): Promise<void> {
  const frame = parseClientFrame(raw);
  if (frame === undefined) {
    send({ type: "error", code: "SL_ERR_BAD_REQUEST", message: "unrecognised frame" });
    return;
  }
  if (frame.type === "ack") {
    await ctx.storage.ackQueue(device.deviceId, frame.ids);
    return;
  }
  try {
    if (!(await ctx.rateLimits.account.take(device.accountId))) throw new ApiError("SL_ERR_RATE_LIMITED", "too many requests");
    const groupId = checkGroupId(b64Field(frame.groupId, "groupId"));
    const { id } = await acceptApplication(ctx, device, groupId, frame.message);
    send({ type: "sent", reqId: frame.reqId, id });
  } catch (err) {
    const api = asApiError(err);
    const e = api ?? new ApiError("SL_ERR_INTERNAL", "internal error");
    send({ type: "error", reqId: frame.reqId, code: e.code, message: e.message, ...e.details });
    if (api === undefined) throw err;
  }
}

/** GET /v1/ws: pushes this device's new queue items; accepts `ack` and `send` frames. */
export function registerWsRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { authenticate } = makeAuthHooks(ctx);

  app.route({
    method: "GET",
    url: "/v1/ws",
    onRequest: authenticate,
    schema: { hide: true, querystring: { type: "object", properties: { token: { type: "string" } } } },
    // A plain GET (no Upgrade header) gets the documented error envelope, not @fastify/websocket's bare 404.
    handler: async () => {
      throw new ApiError("SL_ERR_BAD_REQUEST", "this endpoint needs a WebSocket upgrade");
    },
    wsHandler: (socket, request) => {
      const device = caller(request);
      const send = corkingSender(socket);
      const unsubscribe = ctx.notifier.subscribe(device.deviceId, (item) => {
        if (socket.readyState === socket.OPEN) send({ type: "item", item: queueItemJson(item) });
      });
      // 1008 (policy violation): the token is gone, so a client that reconnects is refused with 401.
      const unrevoke = ctx.notifier.onSignal("account-revoked", (accountId) => {
        if (accountId === device.accountId) socket.close(1008, "session revoked");
      });
      const unremove = ctx.notifier.onSignal("device-revoked", (deviceId) => {
        if (deviceId === device.deviceId) socket.close(1008, "device removed");
      });
      // Frames are handled one at a time so a client's sends are accepted in the order it sent them.
      let chain: Promise<void> = Promise.resolve();
      socket.on("message", (data, isBinary) => {
        const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength;
        if (isBinary || size > MAX_FRAME_BYTES) {
          socket.close(1009, "frame too large or binary");
          return;
        }
        const text = Array.isArray(data) ? Buffer.concat(data).toString("utf8") : (data as Buffer).toString("utf8");
        chain = chain
          .then(() => handleFrame(ctx, device, send, text))
          .catch((err: unknown) => request.log.error({ err, deviceId: device.deviceId }, "ws frame failed"));
      });
      socket.on("close", () => {
        unsubscribe();
        unrevoke();
        unremove();
      });
      request.log.info({ deviceId: device.deviceId }, "ws connected");
    },
  });
}
