/**
 * Shared by the failure tests (nodeKill, pgRestart): `safelight server` child processes, a TCP load
 * balancer, and devices in two-member MLS groups that send numbered messages and read their queues
 * over HTTP, the way a client that survives server failures has to.
 */
import http from "node:http";
import net from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { decode, joinGroup, mlsMessageDecoder, processMessage, wireformats, type ClientState } from "ts-mls";
import { decodeContent } from "@safelight/protocol";
import { ServerNode as ServerProcess } from "../src/serverProcess.js";
import { addProposal, appMessage, b64, call, commit, keyPackage, mlsContext, newGroup, register, unb64, type Device } from "./helpers.js";

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), "../../cli/bin/safelight.js");

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** A `safelight server` child process (the CLI's bin) with the backend in `env`; its registration
 *  limit lifted, since every device of the run registers from 127.0.0.1. */
export class ServerNode extends ServerProcess {
  constructor(env: Record<string, string>) {
    super({ bin: BIN, env: { SAFELIGHT_LIMITS: "registrationBurst=100000", ...env } });
  }
}

/**
 * A TCP load balancer: each new connection goes to the next backend, in turn, that accepts it; a
 * backend that refuses (its process is dead) is skipped. Connections of a backend that dies are cut,
 * so clients notice and reconnect, and land on a live node.
 */
export class Balancer {
  private next = 0;
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((client) => this.route(client, 0));

  constructor(private readonly ports: () => number[]) {}

  async listen(): Promise<string> {
    await new Promise<void>((done) => this.server.listen(0, "127.0.0.1", done));
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  private route(client: net.Socket, tried: number): void {
    const ports = this.ports();
    if (tried >= ports.length) {
      client.destroy();
      return;
    }
    const upstream = net.connect(ports[this.next++ % ports.length]!, "127.0.0.1");
    let connected = false;
    upstream.once("connect", () => {
      connected = true;
      this.sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
    });
    upstream.on("error", () => (connected ? client.destroy() : this.route(client, tried + 1)));
    upstream.on("close", () => {
      this.sockets.delete(upstream);
      if (connected) client.destroy();
    });
    client.on("error", () => upstream.destroy());
    client.on("close", () => {
      this.sockets.delete(client);
      upstream.destroy();
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}

export interface Answer {
  status: number;
  body: any;
}

/** One request on a connection of its own (no keep-alive), so the balancer places every request anew
 *  and a pool of stale connections to a dead node cannot build up. Rejects when no answer came. */
export function request(base: string, method: string, path: string, token?: string, json?: unknown): Promise<Answer> {
  return new Promise((done, fail) => {
    const body = json === undefined ? undefined : JSON.stringify(json);
    const req = http.request(
      base + path,
      {
        method,
        agent: false,
        timeout: 10_000,
        headers: { ...(token !== undefined && { authorization: `Bearer ${token}` }), ...(body !== undefined && { "content-type": "application/json" }) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => done({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
        res.on("error", fail);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", fail);
    req.end(body);
  });
}

/** Answers worth the same request again: the server could not do it now (database away, rate limit). */
const retryable = (status: number) => status === 429 || status >= 500;

/** What a device delivered to the application, in queue order, after dropping repeated ids. */
export interface Delivered {
  from: number;
  n: number;
  id: string;
}

/** One device in a two-member group, with its MLS state (used by one operation at a time). */
export class Member {
  private mls: Promise<unknown> = Promise.resolve();
  private readonly seen = new Set<string>();
  readonly delivered: Delivered[] = [];
  /** Items the server handed out again (their ack was lost): dropped by id. */
  redelivered = 0;
  /** Per message number: how many times it was posted, and the id of the server's 2xx answer. */
  readonly attempts = new Map<number, number>();
  readonly acked = new Map<number, string>();
  /** Why sends were posted again: "no answer" or the status of the answer. */
  readonly failures = new Map<string, number>();
  private sentNext = 0;

  constructor(
    readonly index: number,
    readonly device: Device,
    private readonly groupId: string,
    private state: ClientState,
  ) {}

  /** Runs one MLS operation on the state; sending and receiving would otherwise race on it. */
  private withState<T>(fn: (s: ClientState) => Promise<{ state: ClientState; value: T }>): Promise<T> {
    const run = this.mls.then(async () => {
      const r = await fn(this.state);
      this.state = r.state;
      return r.value;
    });
    this.mls = run.catch(() => {});
    return run;
  }

  /**
   * Sends the next numbered message: encrypted once, then posted until the server answers 2xx. A
   * request without an answer (node killed, connection cut) or with a 5xx/429 is posted again with the
   * same bytes: the server derives the id from them, so a copy it had already stored is not queued twice.
   */
  async sendNext(base: () => string, deadline: number): Promise<void> {
    const n = this.sentNext++;
    const message = await this.withState(async (s) => {
      const m = await appMessage(s, `${this.index}:${n}`);
      return { state: m.newState, value: m.message };
    });
    for (let attempt = 0; ; attempt++) {
      this.attempts.set(n, attempt + 1);
      const answer = await request(base(), "POST", `/v1/groups/${this.groupId}/messages`, this.device.token, { message }).catch(() => undefined);
      if (answer?.status === 200) {
        this.acked.set(n, answer.body.id as string);
        return;
      }
      if (answer !== undefined && !retryable(answer.status)) throw new Error(`send refused: ${answer.status} ${JSON.stringify(answer.body)}`);
      const why = answer === undefined ? "no answer" : String(answer.status);
      this.failures.set(why, (this.failures.get(why) ?? 0) + 1);
      if (Date.now() > deadline) throw new Error(`device ${this.index}: message ${n} not accepted in time (${[...this.failures].join("; ")})`);
      await sleep(Math.min(50 * (attempt + 1), 500));
    }
  }

  /** Reads one page of the queue, delivers what is new, acks it all; returns how many items came, or
   *  undefined when the server did not answer (the next read tries again). */
  async receiveOnce(base: string): Promise<number | undefined> {
    const answer = await request(base, "GET", "/v1/queue?limit=100", this.device.token).catch(() => undefined);
    if (answer?.status !== 200) return undefined;
    const items = answer.body.items as { id: string; kind: string; data?: string }[];
    for (const item of items) {
      if (this.seen.has(item.id)) {
        this.redelivered++;
        continue;
      }
      this.seen.add(item.id);
      if (item.kind !== "application") continue;
      const text = await this.withState(async (s) => {
        const message = decode(mlsMessageDecoder, unb64(item.data!));
        if (message?.wireformat !== wireformats.mls_private_message) throw new Error("expected a PrivateMessage");
        const r = await processMessage({ context: await mlsContext(), state: s, message });
        if (r.kind !== "applicationMessage") throw new Error(`expected an application message, got ${r.kind}`);
        const content = decodeContent(r.message);
        if (content?.type !== "text") throw new Error("expected text content");
        return { state: r.newState, value: content.text };
      });
      const [from, n] = text.split(":").map(Number);
      this.delivered.push({ from: from!, n: n!, id: item.id });
    }
    // A lost ack only means the items come again; they are dropped by id above.
    if (items.length > 0) await request(base, "POST", "/v1/queue/ack", this.device.token, { ids: items.map((i) => i.id) }).catch(() => undefined);
    return items.length;
  }
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** `count` devices (even) registered on `base`, paired in two-member groups: members 2k and 2k+1 talk. */
export async function pairedMembers(base: string, count: number): Promise<Member[]> {
  const devices = await mapLimit(Array.from({ length: count }), 10, () => register(base));
  const pairs = await mapLimit(Array.from({ length: count / 2 }), 10, async (_, k) => {
    const [a, b] = [devices[2 * k]!, devices[2 * k + 1]!];
    const g = await newGroup(base, a);
    const kp = await keyPackage(b, b.keys);
    const c = await commit(g.state, [addProposal(kp.publicPackage)]);
    const res = await call(base, "POST", `/v1/groups/${b64(g.groupId)}/commits`, { token: a.token, json: { commit: c.commit, welcome: c.welcome } });
    if (res.status !== 200) throw new Error(`commit failed: ${res.status} ${JSON.stringify(res.body)}`);
    const welcome = decode(mlsMessageDecoder, unb64(c.welcome!));
    if (welcome?.wireformat !== wireformats.mls_welcome) throw new Error("expected a Welcome");
    const joined = await joinGroup({ context: await mlsContext(), welcome: welcome.welcome, keyPackage: kp.publicPackage, privateKeys: kp.privatePackage, ratchetTree: c.newState.ratchetTree });
    return [new Member(2 * k, a, b64(g.groupId), c.newState), new Member(2 * k + 1, b, b64(g.groupId), joined)];
  });
  return pairs.flat();
}

/** Keeps every member reading its queue until stopped: again at once while items come, else every `idleMs`. */
export function receiveLoop(members: Member[], base: () => string, idleMs: number): { stop(): Promise<void> } {
  let running = true;
  const loops = members.map(async (m) => {
    while (running) {
      const got = await m.receiveOnce(base());
      if (!got) await sleep(idleMs);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

export interface Tally {
  sent: number;
  acked: number;
  retried: number;
  delivered: number;
  lost: number;
  duplicates: number;
  orderViolations: number;
}

/**
 * Counts over the messages numbered in [from, to) of every sender: delivered (distinct messages that
 * arrived), lost (acked, never delivered), duplicates (one message delivered again under another id,
 * which dedup by id cannot catch), order violations (a sender's message arriving after a later one).
 */
export function tally(members: Member[], from: number, to: number): Tally {
  const inRange = (n: number) => n >= from && n < to;
  const t: Tally = { sent: 0, acked: 0, retried: 0, delivered: 0, lost: 0, duplicates: 0, orderViolations: 0 };
  for (const m of members) {
    for (const [n, attempts] of m.attempts) {
      if (!inRange(n)) continue;
      t.sent++;
      t.retried += attempts - 1;
    }
    const got = new Set<number>();
    let last = -1;
    for (const d of members[m.index ^ 1]!.delivered) {
      if (d.from !== m.index || !inRange(d.n)) continue;
      if (got.has(d.n)) t.duplicates++;
      else if (d.n < last) t.orderViolations++;
      got.add(d.n);
      last = Math.max(last, d.n);
    }
    t.delivered += got.size;
    for (const n of m.acked.keys()) {
      if (!inRange(n)) continue;
      t.acked++;
      if (!got.has(n)) t.lost++;
    }
  }
  return t;
}

/** The members' send failures added up, e.g. "no answer 97, 503 4". */
export function failureCounts(members: Member[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of members) for (const [why, n] of m.failures) out.set(why, (out.get(why) ?? 0) + n);
  return out;
}

/** What changed between two failureCounts, as text. */
export function failuresSince(before: Map<string, number>, after: Map<string, number>): string {
  const parts = [...after].map(([why, n]) => [why, n - (before.get(why) ?? 0)] as const).filter(([, n]) => n > 0);
  return parts.length === 0 ? "none" : parts.map(([why, n]) => `${why} ${n}`).join(", ");
}

/** Total items handed out again after a lost ack (dropped by id before delivery). */
export const redelivered = (members: Member[]) => members.reduce((sum, m) => sum + m.redelivered, 0);
