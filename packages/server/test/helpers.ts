/** Black-box test helpers: a real server on port 0, fetch, and real MLS objects built with ts-mls. */
import { afterAll, beforeAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createApplicationMessage,
  createCommit,
  createGroup,
  defaultCredentialTypes,
  defaultProposalTypes,
  encode,
  generateKeyPackageWithKey,
  getCiphersuiteImpl,
  mlsMessageEncoder,
  protocolVersions,
  unsafeTestingAuthenticationService,
  wireformats,
  type CiphersuiteImpl,
  type ClientState,
  type KeyPackage,
  type MlsContext,
  type PrivateKeyPackage,
  type Proposal,
} from "ts-mls";
import { encodeContent, encodeFrankingAad, fromB64, frankingTag, newFrankingSalt, toB64 } from "@safelight/protocol";
import { startServer, type RunningServer, type StartOptions } from "../src/index.js";
import { backendOptions } from "../src/testing.js";

let impl: CiphersuiteImpl | undefined;
export async function suite(): Promise<CiphersuiteImpl> {
  impl ??= await getCiphersuiteImpl("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519");
  return impl;
}

export async function mlsContext(): Promise<MlsContext> {
  return { cipherSuite: await suite(), authService: unsafeTestingAuthenticationService };
}

export interface TestServer extends RunningServer {
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestServer(options: StartOptions = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "safelight-server-"));
  const server = await startServer({ dataDir: dir, port: 0, logger: false, handleSignals: false, ...backendOptions(dir), ...options });
  return {
    ...server,
    dataDir: dir,
    async stop() {
      await server.close();
      if (dataDir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Res<T = any> {
  status: number;
  body: T;
}

/** JSON request; `raw` sends the string as-is (for malformed-JSON tests). */
export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; json?: unknown; raw?: string | Uint8Array; contentType?: string } = {},
): Promise<Res<T>> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  let body: string | Uint8Array | undefined;
  if (opts.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.raw !== undefined) {
    headers["content-type"] = opts.contentType ?? "application/json";
    body = opts.raw;
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed as T };
}

export interface Device {
  accountId: string;
  deviceId: string;
  token: string;
  name: string;
  keys: { publicKey: Uint8Array; signKey: Uint8Array };
}

export async function newKeys(): Promise<{ publicKey: Uint8Array; signKey: Uint8Array }> {
  return (await suite()).signature.keygen();
}

export async function proof(signKey: Uint8Array, purpose: string, challenge: string): Promise<string> {
  const msg = new TextEncoder().encode(`safelight-auth-v1:${purpose}:${challenge}`);
  return toB64(await (await suite()).signature.sign(signKey, msg));
}

export async function challenge(base: string): Promise<string> {
  const res = await call(base, "POST", "/v1/auth/challenge", { json: {} });
  if (res.status !== 200) throw new Error(`challenge failed: ${JSON.stringify(res.body)}`);
  return res.body.challenge as string;
}

let counter = 0;
export function uniqueName(prefix = "user"): string {
  counter++;
  return `${prefix}_${process.pid % 10000}_${counter}`.slice(0, 32);
}

export async function register(base: string, name = uniqueName()): Promise<Device> {
  const keys = await newKeys();
  const c = await challenge(base);
  const res = await call(base, "POST", "/v1/accounts", {
    json: {
      name,
      birthdate: "2000-01-31",
      signatureKey: toB64(keys.publicKey),
      challenge: c,
      signature: await proof(keys.signKey, "register", c),
    },
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body, name, keys };
}

export async function linkDevice(base: string, existing: Device): Promise<Device> {
  const code = await call(base, "POST", "/v1/link-codes", { token: existing.token, json: {} });
  const keys = await newKeys();
  const c = await challenge(base);
  const res = await call(base, "POST", "/v1/devices", {
    json: { code: code.body.code, signatureKey: toB64(keys.publicKey), challenge: c, signature: await proof(keys.signKey, "link", c) },
  });
  if (res.status !== 201) throw new Error(`link failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body, name: existing.name, keys };
}

export interface KeyPackagePair {
  publicPackage: KeyPackage;
  privatePackage: PrivateKeyPackage;
  /** base64url MLSMessage(KeyPackage) */
  b64: string;
}

export async function keyPackage(
  who: { accountId: string; deviceId: string },
  keys: { publicKey: Uint8Array; signKey: Uint8Array },
): Promise<KeyPackagePair> {
  const kp = await generateKeyPackageWithKey({
    credential: {
      credentialType: defaultCredentialTypes.basic,
      identity: new TextEncoder().encode(`${who.accountId}.${who.deviceId}`),
    },
    signatureKeyPair: keys,
    cipherSuite: await suite(),
  });
  const bytes = encode(mlsMessageEncoder, {
    wireformat: wireformats.mls_key_package,
    version: protocolVersions.mls10,
    keyPackage: kp.publicPackage,
  });
  return { ...kp, b64: toB64(bytes) };
}

export function randomGroupId(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

/** Creates the group on the server and locally (the creator is leaf 0). */
export async function newGroup(base: string, owner: Device): Promise<{ groupId: Uint8Array; state: ClientState }> {
  const groupId = randomGroupId();
  const kp = await keyPackage(owner, owner.keys);
  const state = await createGroup({
    context: await mlsContext(),
    groupId,
    keyPackage: kp.publicPackage,
    privateKeyPackage: kp.privatePackage,
  });
  const res = await call(base, "POST", "/v1/groups", { token: owner.token, json: { groupId: toB64(groupId) } });
  if (res.status !== 201) throw new Error(`group create failed: ${JSON.stringify(res.body)}`);
  return { groupId, state };
}

export function addProposal(kp: KeyPackage): Proposal {
  return { proposalType: defaultProposalTypes.add, add: { keyPackage: kp } };
}

export function removeProposal(leaf: number): Proposal {
  return { proposalType: defaultProposalTypes.remove, remove: { removed: leaf } };
}

/** A PublicMessage commit (+ welcome) as base64url, and the committer's next state. */
export async function commit(
  state: ClientState,
  proposals: Proposal[],
): Promise<{ commit: string; welcome?: string; newState: ClientState }> {
  const r = await createCommit({ context: await mlsContext(), state, extraProposals: proposals, wireAsPublicMessage: true });
  return {
    commit: toB64(encode(mlsMessageEncoder, r.commit)),
    ...(r.welcome && { welcome: toB64(encode(mlsMessageEncoder, r.welcome)) }),
    newState: r.newState,
  };
}

export async function appMessage(state: ClientState, text: string): Promise<{ message: string; newState: ClientState }> {
  // Real franked content (docs/franking.md): the server refuses application messages without a tag.
  const salt = newFrankingSalt();
  const content = encodeContent({ v: 1, type: "text", salt: toB64(salt), text, sentAt: Date.now() });
  const r = await createApplicationMessage({
    context: await mlsContext(),
    state,
    message: content,
    authenticatedData: encodeFrankingAad(frankingTag(salt, content)),
  });
  return { message: toB64(encode(mlsMessageEncoder, r.message)), newState: r.newState };
}

export function b64(bytes: Uint8Array): string {
  return toB64(bytes);
}

export function unb64(text: string): Uint8Array {
  const out = fromB64(text);
  if (out === undefined) throw new Error("bad b64");
  return out;
}

/** One real server per test file, started in beforeAll and stopped in afterAll. */
export function useServer(options: StartOptions = {}): { readonly url: string; readonly dataDir: string } {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(options);
  });
  afterAll(async () => server?.stop());
  const running = () => {
    if (server === undefined) throw new Error("server not started yet");
    return server;
  };
  return {
    get url() {
      return running().url;
    },
    get dataDir() {
      return running().dataDir;
    },
  };
}
