// SDK clients for the reliability scripts (chaos, soak): each a real SafelightClient with its own SQLite
// store, in 1:1 conversations and small groups, sending numbered messages and recording what the server
// acknowledged and what each device received. A call that gets no answer (the server is down) or a
// 5xx/429 is retried until a deadline, as an app would retry.
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { SafelightClient, SafelightError } from "@safelight/client";
import { SqliteClientStore } from "@safelight/client/node";
import { decodeGroupState, epochOf } from "@safelight/protocol";
import { pool } from "@safelight/server/bench/setup";

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** A seeded PRNG (mulberry32) so a run's layout, pacing and kill times can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Failures an app retries later: no answer, the server in trouble, or a rate limit. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof SafelightError)) return false;
  return err.code === "SL_CLIENT_UNREACHABLE" || (err.status !== undefined && (err.status >= 500 || err.status === 429));
}

/** Runs `fn` until it succeeds or fails for a reason other than a transient one; counts the retries. */
export async function persist<T>(fn: () => Promise<T>, retries: { count: number }, deadline: number): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || Date.now() > deadline) throw err;
      retries.count++;
      await sleep(Math.min(100 * (attempt + 1), 1000));
    }
  }
}

const TEXT = /^chaos (\d+) (\d+)$/;
export const messageText = (from: number, n: number) => `chaos ${from} ${n}`;

/** The attachment client `from` sends with message `n`: 2 KiB derived from both, so a receiver can check it. */
export function attachmentBytes(from: number, n: number): Uint8Array {
  const out = new Uint8Array(2048);
  for (let off = 0; off < out.length; off += 32) out.set(createHash("sha256").update(`${from}/${n}/${off}`).digest(), off);
  return out;
}
const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** One received message as the application saw it, after the SDK's de-duplication by item id. */
export interface Received {
  id: string;
  from: number;
  n: number;
  /** The attachment's bytes matched what the sender sent (undefined: the message had none). */
  fileOk?: boolean;
}

export interface Conversation {
  groupId: string;
  members: number[];
  kind: "direct" | "group";
}

/** One device: its client, what the server acknowledged it sent, and what it received. */
export class FleetClient {
  readonly client: SafelightClient;
  readonly store: SqliteClientStore;
  readonly received: Received[] = [];
  /** Per message number: the id of the server's acknowledgement, and how many posts it took. */
  readonly acked = new Map<number, string>();
  readonly attempts = new Map<number, number>();
  /** Queue items the SDK dropped (MLS, content or franking checks failed). */
  readonly dropped: string[] = [];
  readonly retries = { count: 0 };
  conversation: Conversation | undefined;
  private readonly files = new Map<string, string>();

  constructor(
    readonly index: number,
    dir: string,
  ) {
    this.store = new SqliteClientStore(join(dir, `${index}.db`));
    this.client = new SafelightClient({
      store: this.store,
      warn: (m) => this.dropped.push(m),
      fileSink: async (messageId, name, bytes) => {
        const key = `${messageId}/${name}`;
        this.files.set(key, sha(bytes));
        return key;
      },
    });
    this.client.onMessage((m) => {
      const parsed = TEXT.exec(m.text);
      if (!parsed) return;
      const [from, n] = [Number(parsed[1]), Number(parsed[2])];
      const file = m.files[0];
      this.received.push({ id: m.id, from, n, ...(file && { fileOk: this.files.get(file.path) === sha(attachmentBytes(from, n)) }) });
    });
  }

  get name(): string {
    return fleetName(this.index);
  }

  /** Sends message `n` to this device's conversation until the server acknowledges it. Each retry is a
   *  new MLS message with the same text: the SDK does not keep the ciphertext of a failed post. */
  async send(n: number, withFile: boolean, deadline: number): Promise<void> {
    const files = withFile ? [{ name: `f${n}.bin`, type: "application/octet-stream", bytes: attachmentBytes(this.index, n) }] : [];
    let attempts = 0;
    const sent = await persist(
      () => {
        this.attempts.set(n, ++attempts);
        return this.client.sendToGroup(this.conversation!.groupId, messageText(this.index, n), files);
      },
      this.retries,
      deadline,
    );
    this.acked.set(n, sent.id);
  }

  /** Syncs once; a transient failure (server down) just waits for the next turn. */
  async syncOnce(): Promise<void> {
    try {
      await this.client.sync();
    } catch (err) {
      if (!isTransient(err)) throw err;
    }
  }

  /** This device's epoch of its conversation (its own MLS state). */
  async localEpoch(): Promise<bigint | undefined> {
    const g = await this.store.getGroup(this.conversation!.groupId);
    return g === undefined ? undefined : epochOf(decodeGroupState(g.state));
  }
}

export const fleetName = (index: number) => `chaos_${index}`;

export interface FleetLayout {
  clients: number;
  /** Members per group conversation; the rest of the clients are in 1:1 pairs. */
  groupSize: number;
  /** Percentage of the clients in groups. */
  groupPercent: number;
}

/**
 * Registers `clients` devices (adults) on `url` and puts them in conversations: groups of `groupSize`
 * for `groupPercent` of them, 1:1 pairs for the rest. Members approve the conversation's creator in
 * advance (docs/safety.md, contacts), so no message request holds anything back.
 */
export async function formFleet(url: string, dir: string, layout: FleetLayout, deadline: number): Promise<{ fleet: FleetClient[]; conversations: Conversation[] }> {
  mkdirSync(dir, { recursive: true });
  const fleet = Array.from({ length: layout.clients }, (_, i) => new FleetClient(i, dir));
  const retries = { count: 0 };
  await pool(fleet, 8, (c) => persist(() => c.client.register(url, c.name, "1990-01-01"), retries, deadline));
  const inGroups = Math.floor((layout.clients * layout.groupPercent) / 100 / layout.groupSize) * layout.groupSize;
  const sets: number[][] = [];
  for (let i = 0; i < inGroups; i += layout.groupSize) sets.push(Array.from({ length: layout.groupSize }, (_, k) => i + k));
  for (let i = inGroups; i + 1 < layout.clients; i += 2) sets.push([i, i + 1]);
  // An odd client out joins the first conversation (a group, or with none the first pair, then three).
  if ((layout.clients - inGroups) % 2 === 1) sets[0]!.push(layout.clients - 1);
  const conversations = await pool(sets, 8, async (members): Promise<Conversation> => {
    const [creator, ...others] = members.map((i) => fleet[i]!);
    for (const o of others) await persist(() => o.client.safety.accept(creator!.name), retries, deadline);
    const groupId =
      others.length === 1
        ? (await persist(() => creator!.client.sendText(others[0]!.name, "hello"), retries, deadline)).conversation
        : await persist(() => creator!.client.createGroup(`group of ${creator!.name}`, others.map((o) => o.name)), retries, deadline);
    const conversation: Conversation = { groupId, members, kind: others.length === 1 ? "direct" : "group" };
    for (const c of [creator!, ...others]) c.conversation = conversation;
    for (const o of others) await persist(() => o.client.sync(), retries, deadline);
    return conversation;
  });
  return { fleet, conversations };
}
