// The ceiling for `npm run bench:messaging`: a bare `ws` relay with no storage, no auth and no JSON.
// A client connects to `/relay?pair=<n>&side=<0|1>`; every text frame it sends is forwarded verbatim
// to the other side of its pair, except `ack` frames, which are dropped (recognised by their prefix,
// the only inspection routing needs). Nothing is buffered for an absent peer: the harness connects
// every client before it sends.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

const ACK_PREFIX = Buffer.from('{"type":"ack"');

export interface RunningRelay {
  url: string;
  close(): Promise<void>;
}

function isAck(data: Buffer): boolean {
  return data.length >= ACK_PREFIX.length && data.compare(ACK_PREFIX, 0, ACK_PREFIX.length, 0, ACK_PREFIX.length) === 0;
}

export async function startBareRelay(host = "127.0.0.1", port = 0): Promise<RunningRelay> {
  const pairs = new Map<string, [WebSocket | undefined, WebSocket | undefined]>();
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  // Same frame limit and (absent) compression as the Safelight server's @fastify/websocket setup.
  const wss = new WebSocketServer({ server, maxPayload: 1024 * 1024 });
  wss.on("connection", (socket, request) => {
    const query = new URL(request.url ?? "/", "http://relay").searchParams;
    const pair = query.get("pair") ?? "";
    const side = query.get("side") === "1" ? 1 : 0;
    const slots = pairs.get(pair) ?? [undefined, undefined];
    slots[side] = socket;
    pairs.set(pair, slots);
    socket.on("message", (data, isBinary) => {
      const frame = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (isAck(frame)) return;
      const peer = slots[1 - side];
      if (peer !== undefined && peer.readyState === peer.OPEN) peer.send(frame, { binary: isBinary });
    });
    socket.on("close", () => {
      if (slots[side] === socket) slots[side] = undefined;
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => server.close(() => resolve()));
      }),
  };
}
