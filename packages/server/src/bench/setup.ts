// Untimed setup for `npm run bench:messaging`, through the real HTTP API of docs/protocol.md:
// registration with challenge–response, key-package upload, one two-member MLS group per pair
// (A creates it, claims B's key package, commits the Add with a Welcome; B joins from the Welcome
// fetched from its queue), then every client pre-encrypts its messages as real MLS PrivateMessages
// at the group's current epoch, already wrapped in `send` frames.
import { randomBytes } from "node:crypto";
import {
  commitChanges,
  createEngine,
  encodeFrankingAad,
  encryptApplication,
  epochOf,
  frankingTag,
  fromB64,
  generateDeviceKeys,
  joinFromWelcome,
  newGroup,
  newKeyPackage,
  signChallenge,
  toB64,
  type Engine,
  type GroupState,
  type NewKeyPackage,
  type SigningKeys,
} from "@safelight/protocol";
import { nodeCryptoProvider } from "@safelight/protocol/node";

export interface BenchClient {
  index: number;
  accountId: string;
  deviceId: string;
  token: string;
  keys: SigningKeys;
  /** One-time key package uploaded to the directory (B side claims use it). */
  uploaded: NewKeyPackage;
  /** Filled in by formPairs. */
  groupId?: string;
  state?: GroupState;
  /** Pre-built `send` frames and, in the same order, the base64url MLS message each carries. */
  frames: string[];
  messages: string[];
}

export interface Pair {
  a: BenchClient;
  b: BenchClient;
}

class HttpError extends Error {}

/** A numeric `--name=N` option of a bench script, or `fallback`. */
export function numberArg(name: string, fallback: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split("=")[1]) : fallback;
}

export async function call<T>(base: string, method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token !== undefined) headers["authorization"] = `Bearer ${token}`;
  const res = await fetch(base + path, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
  const text = await res.text();
  if (!res.ok) throw new HttpError(`${method} ${path} → ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Runs fn over items with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The engine's authentication service: the device directory as registered in this run. */
export async function benchEngine(directory: Map<string, Uint8Array>): Promise<Engine> {
  return createEngine({
    provider: nodeCryptoProvider,
    checkCredential: async (who, signatureKey) => {
      const key = directory.get(`${who.accountId}.${who.deviceId}`);
      return key !== undefined && Buffer.from(key).equals(Buffer.from(signatureKey));
    },
  });
}

/** Every bench account is an adult's, so no teen-safety rule applies to the bench's conversations. */
export const BENCH_BIRTHDATE = "1990-01-01";
export const benchName = (index: number): string => `bench_${index}`;

export async function registerClients(
  base: string,
  engine: Engine,
  directory: Map<string, Uint8Array>,
  count: number,
): Promise<BenchClient[]> {
  return pool(Array.from({ length: count }, (_, i) => i), 16, async (index) => {
    const keys = generateDeviceKeys();
    const { challenge } = await call<{ challenge: string }>(base, "POST", "/v1/auth/challenge", {});
    const session = await call<{ accountId: string; deviceId: string; token: string }>(base, "POST", "/v1/accounts", {
      name: benchName(index),
      birthdate: BENCH_BIRTHDATE,
      signatureKey: toB64(keys.publicKey),
      challenge,
      signature: toB64(signChallenge(keys, "register", challenge)),
    });
    directory.set(`${session.accountId}.${session.deviceId}`, keys.publicKey);
    const who = { accountId: session.accountId, deviceId: session.deviceId };
    const uploaded = await newKeyPackage(engine, who, keys);
    await call(base, "POST", "/v1/key-packages", { keyPackages: [toB64(uploaded.keyPackage)] }, session.token);
    return { index, ...session, keys, uploaded, frames: [], messages: [] };
  });
}

interface QueueItem {
  id: string;
  kind: string;
  data?: string;
}

/** A creates the group, claims B's key package and commits the Add; B joins from its queued Welcome. */
export async function formPair(base: string, engine: Engine, a: BenchClient, b: BenchClient): Promise<void> {
  const groupIdBytes = new Uint8Array(randomBytes(32));
  const groupId = toB64(groupIdBytes);
  await call(base, "POST", "/v1/groups", { groupId }, a.token);
  const own = await newKeyPackage(engine, { accountId: a.accountId, deviceId: a.deviceId }, a.keys);
  const created = await newGroup(engine, groupIdBytes, own);
  const claim = await call<{ keyPackages: { keyPackage: string }[] }>(
    base,
    "POST",
    "/v1/key-packages/claim",
    { accountId: b.accountId },
    a.token,
  );
  const kp = claim.keyPackages[0];
  if (kp === undefined) throw new Error(`no key package for ${b.accountId}`);
  const commit = await commitChanges(engine, created, { add: [fromB64(kp.keyPackage) as Uint8Array] });
  if (commit.welcome === undefined) throw new Error("an Add commit must produce a Welcome");
  await call(base, "POST", `/v1/groups/${groupId}/commits`, { commit: toB64(commit.commit), welcome: toB64(commit.welcome) }, a.token);
  const { items } = await call<{ items: QueueItem[] }>(base, "GET", "/v1/queue?limit=10", undefined, b.token);
  const welcome = items.find((i) => i.kind === "welcome");
  if (welcome?.data === undefined) throw new Error(`no Welcome in ${b.accountId}'s queue`);
  const joined = await joinFromWelcome(engine, fromB64(welcome.data) as Uint8Array, {
    keyPackage: b.uploaded.keyPackage,
    privateKeyPackage: b.uploaded.privateKeyPackage,
  });
  await call(base, "POST", "/v1/queue/ack", { ids: items.map((i) => i.id) }, b.token);
  if (epochOf(commit.state) !== 1n || epochOf(joined) !== 1n) throw new Error("pair is not at epoch 1 after the Add");
  a.groupId = b.groupId = groupId;
  a.state = commit.state;
  b.state = joined;
}

/** Plaintext of exactly `bytes` bytes: JSON shaped like a text message (the server never sees it, so
 *  only its size matters; it is not tied to the app's content schema on purpose). */
export function payload(bytes: number, label: string): Uint8Array {
  const shell = (text: string) => JSON.stringify({ v: 1, type: "text", text, sentAt: 1_700_000_000_000 });
  const text = Buffer.from(shell(label + "x".repeat(Math.max(0, bytes - Buffer.byteLength(shell(label))))));
  return new Uint8Array(text);
}

const BENCH_SALT = new Uint8Array(32).fill(7);

/** `count` real MLS PrivateMessages from this client, in order, each wrapped in a `send` frame. */
export async function preEncrypt(engine: Engine, client: BenchClient, count: number, payloadBytes: number): Promise<void> {
  if (client.state === undefined || client.groupId === undefined) throw new Error("client has no group");
  let state = client.state;
  for (let k = 0; k < count; k++) {
    // Franked like every real message (docs/franking.md); the tag is what the server stamps.
    const body = payload(payloadBytes, `m${client.index}.${k} `);
    const out = await encryptApplication(engine, state, body, encodeFrankingAad(frankingTag(BENCH_SALT, body)));
    state = out.state;
    const message = toB64(out.message);
    client.messages.push(message);
    client.frames.push(JSON.stringify({ type: "send", reqId: String(k), groupId: client.groupId, message }));
  }
  client.state = state;
}
