/**
 * Live delivery over the server's WebSocket (`GET /v1/ws?token=`, docs/protocol.md). The socket is only a
 * doorbell: a pushed item (or a fresh connection) triggers the ordinary `sync()`, which fetches, decrypts and
 * acknowledges over HTTP, so there is exactly one code path that applies queue items.
 * Reconnects with jittered exponential backoff and reports its state for the UI.
 */
import type { QueueItem, ServerFrame } from "@safelight/protocol";

export type LiveState = "connecting" | "online" | "offline";

/** The routing fields of a pushed queue item; its MLS payload is left for `sync()` to fetch and decrypt. */
export type PushedItem = Pick<QueueItem, "id" | "kind" | "groupId">;

export interface LiveOptions {
  serverUrl: string;
  /** Read before every connection attempt: the token may have been renewed by a re-login. */
  token: () => Promise<string | undefined> | string | undefined;
  /** Called when the socket opens (no item) and for every pushed item (its clear metadata only). */
  onPush: (item?: PushedItem) => void;
  /** Called after a failed or lost connection, before the backoff wait (e.g. to sync over HTTP, which also
   *  renews an expired token). */
  onDown?: () => void;
  onState?: (state: LiveState) => void;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Defaults to the global WebSocket (browsers, Node 22+). */
  WebSocket?: typeof WebSocket;
}

export interface LiveConnection {
  readonly state: LiveState;
  /** Skips the remaining backoff wait (e.g. when the browser reports it is back online). */
  reconnectNow(): void;
  close(): void;
}

export function wsUrl(serverUrl: string, token: string): string {
  const url = new URL("/v1/ws", serverUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("token", token);
  return url.toString();
}

export function connectLive(opts: LiveOptions): LiveConnection {
  const Socket = opts.WebSocket ?? globalThis.WebSocket;
  const minDelay = opts.minDelayMs ?? 500;
  const maxDelay = opts.maxDelayMs ?? 10_000;
  let state: LiveState = "connecting";
  let socket: WebSocket | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let closed = false;

  const setState = (next: LiveState) => {
    if (next === state) return;
    state = next;
    opts.onState?.(next);
  };

  const scheduleRetry = () => {
    if (closed) return;
    setState("offline");
    opts.onDown?.();
    const ceiling = Math.min(maxDelay, minDelay * 2 ** Math.min(failures, 10));
    failures++;
    // Jitter spreads reconnects when a server restart drops every client at once.
    timer = setTimeout(() => void open(), ceiling / 2 + Math.random() * (ceiling / 2));
  };

  const open = async () => {
    timer = undefined;
    if (closed) return;
    setState("connecting");
    let token: string | undefined;
    try {
      token = await opts.token();
    } catch {
      token = undefined;
    }
    if (closed) return;
    if (!token) return scheduleRetry();
    const ws = new Socket(wsUrl(opts.serverUrl, token));
    socket = ws;
    ws.onopen = () => {
      failures = 0;
      setState("online");
      opts.onPush();
    };
    ws.onmessage = (event) => {
      try {
        // Trusted no further than its routing fields: sync() fetches and checks the item itself.
        const frame = JSON.parse(String(event.data)) as Partial<ServerFrame>;
        if (frame.type === "item" && frame.item) opts.onPush({ id: frame.item.id, kind: frame.item.kind, groupId: frame.item.groupId });
      } catch {
        // Not JSON: ignore; the next sync picks up whatever it was about.
      }
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = undefined;
      scheduleRetry();
    };
  };

  void open();

  return {
    get state() {
      return state;
    },
    reconnectNow() {
      if (closed || socket) return;
      if (timer) clearTimeout(timer);
      failures = 0;
      void open();
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const ws = socket;
      socket = undefined;
      ws?.close();
    },
  };
}

/** Runs `task` when triggered, never twice at once; triggers that arrive while it runs are folded into one
 *  more run afterwards, so a burst of pushes costs at most two syncs. */
export function coalesce(task: () => Promise<unknown>, onError: (err: unknown) => void = () => undefined): () => void {
  let running = false;
  let again = false;
  const run = async () => {
    running = true;
    do {
      again = false;
      try {
        await task();
      } catch (err) {
        onError(err);
      }
    } while (again);
    running = false;
  };
  return () => {
    if (running) again = true;
    else void run();
  };
}
