/**
 * Key transparency end to end (docs/key-transparency.md), real server in-process: a ghost device the
 * server enrols under bob's account raises the alarm on bob's devices and is logged for alice to see;
 * a rewritten, removed or forked log and a split view are each refused by the SDK. Clients talk to the
 * server through a small proxy that plays the malicious server (rewrites answers, freezes a view) and
 * keeps the URL stable across server restarts.
 */
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "@safelight/server";
import { backendOptions, issueGhostLinkCode, queryTestStore } from "@safelight/server/testing";
import { KT_ERROR_CODES, SafelightClient, type KeyTransparencyAlarm } from "@safelight/client";
import { SqliteClientStore } from "@safelight/client/node";
import { generateDeviceKeys, signChallenge, toB64, verifyKtInclusion, type KtEntry } from "@safelight/protocol";
import { nodeCryptoProvider } from "@safelight/protocol/node";

type Rewrite = (path: string, body: any) => any;

/** Forwards every request to the current upstream; `rewrite` may change a JSON answer. */
class Proxy {
  url = "";
  rewrite: Rewrite | undefined;
  private server: Server | undefined;

  constructor(private readonly upstream: () => string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const headers: Record<string, string> = {};
        for (const h of ["content-type", "authorization"]) if (req.headers[h]) headers[h] = String(req.headers[h]);
        void fetch(this.upstream() + req.url, { method: req.method, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) })
          .then(async (r) => {
            let body = await r.text();
            if (this.rewrite && r.headers.get("content-type")?.includes("json")) body = JSON.stringify(this.rewrite(req.url!, JSON.parse(body)));
            res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "application/json" }).end(body);
          })
          .catch((err: Error) => res.writeHead(502).end(err.message));
      });
    });
    await new Promise<void>((done) => this.server!.listen(0, "127.0.0.1", done));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  }

  close(): Promise<void> {
    return new Promise((done) => this.server!.close(() => done()));
  }
}

let dir: string;
let serverDir: string;
let server: { url: string; close(): Promise<void> };
const proxies: Proxy[] = [];
let count = 0;

const start = async () => {
  server = await startServer({ dataDir: serverDir, host: "127.0.0.1", port: 0, handleSignals: false, logger: false, ...backendOptions(serverDir) });
};

async function proxy(): Promise<Proxy> {
  const p = new Proxy(() => server.url);
  await p.start();
  proxies.push(p);
  return p;
}

async function newClient(url: string, name = `kt${++count}${Date.now() % 100000}`): Promise<SafelightClient & { name: string }> {
  const client = new SafelightClient({ store: new SqliteClientStore(join(dir, `${name}.db`)), provider: nodeCryptoProvider });
  await client.register(url, name, "1990-05-05");
  return Object.assign(client, { name });
}

async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(new URL(path, server.url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (await res.json()) as T;
}

/** What a compromised server does: enrols a device of its own under the account, through the real
 *  link route, with a code none of the account's devices issued. */
async function addGhost(owner: SafelightClient): Promise<{ deviceId: string; publicKey: string; token: string }> {
  const code = await issueGhostLinkCode(serverDir, owner.me);
  const keys = generateDeviceKeys();
  const { challenge } = await post<{ challenge: string }>("/v1/auth/challenge", {});
  const session = await post<{ deviceId: string; token: string }>("/v1/devices", {
    code,
    signatureKey: toB64(keys.publicKey),
    challenge,
    signature: toB64(signChallenge(keys, "link", challenge)),
  });
  return { deviceId: session.deviceId, publicKey: toB64(keys.publicKey), token: session.token };
}

async function syncAlarms(client: SafelightClient): Promise<KeyTransparencyAlarm[]> {
  const alarms: KeyTransparencyAlarm[] = [];
  const off = client.onKeyTransparencyAlarm((a) => alarms.push(a));
  try {
    await client.sync();
  } finally {
    off();
  }
  return alarms;
}

/** Restarts the server on the same data (its log cache is rebuilt from the rows). */
async function restart(): Promise<void> {
  await server.close();
  await start();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "safelight-kt-"));
  serverDir = join(dir, "server");
  await start();
});

afterAll(async () => {
  for (const p of proxies) await p.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("own-account monitoring", () => {
  it("a ghost device the server adds raises the alarm on every device of the account, and is logged for others", async () => {
    const url = (await proxy()).url;
    const bob = await newClient(url);
    const { code } = await bob.createLinkCode();
    const laptop = new SafelightClient({ store: new SqliteClientStore(join(dir, `${bob.name}-laptop.db`)), provider: nodeCryptoProvider });
    await laptop.linkDevice(url, code);
    const alice = await newClient(url);
    await alice.sendText(bob.name, "hi bob");
    // The device bob linked himself is no alarm, on either device.
    expect(await syncAlarms(bob)).toEqual([]);
    expect(await syncAlarms(laptop)).toEqual([]);

    const ghost = await addGhost(bob);
    for (const device of [bob, laptop]) {
      const alarms = await syncAlarms(device);
      expect(alarms).toEqual([expect.objectContaining({ accountId: bob.me.accountId, deviceId: ghost.deviceId, publicKey: ghost.publicKey })]);
      expect(await syncAlarms(device)).toEqual([]); // raised once, not on every later sync
    }

    // Whoever looks bob up is served the ghost with a proof that it is in the log: logged, not hidden.
    const res = await fetch(`${server.url}/v1/accounts/by-name/${bob.name}`, { headers: { authorization: `Bearer ${ghost.token}` } });
    const account = (await res.json()) as { accountId: string; devices: { deviceId: string; signatureKey: string }[]; kt: any };
    const proof = account.kt.devices.find((d: { deviceId: string }) => d.deviceId === ghost.deviceId);
    const entry: KtEntry = { accountId: account.accountId, deviceId: ghost.deviceId, action: "add", publicKey: ghost.publicKey, time: proof.time };
    expect(verifyKtInclusion(account.kt.head, entry, proof.index, proof.proof)).toBe(true);
    await alice.sync(); // alice's directory checks succeed for the logged ghost
  });
});

describe("a malicious log is refused", () => {
  it("a rewritten entry: the served entries do not hash to the signed head, and a rewritten key has no proof", async () => {
    const p = await proxy();
    const carol = await newClient(p.url);
    const dave = await newClient(p.url);
    await carol.sync();
    const other = toB64(generateDeviceKeys().publicKey);
    await newClient(server.url); // one more entry for carol's monitor to read
    p.rewrite = (path, body) =>
      path.startsWith("/v1/kt/entries") ? { entries: body.entries.map((e: KtEntry, i: number) => (i === 0 ? { ...e, publicKey: other } : e)) } : body;
    await expect(carol.sync()).rejects.toMatchObject({ code: "SL_ERR_KT_BAD_ENTRIES" });
    // The directory serves dave's account with another key: its proof does not verify.
    p.rewrite = (path, body) =>
      path.startsWith("/v1/accounts/") ? { ...body, devices: body.devices.map((d: object) => ({ ...d, signatureKey: other })) } : body;
    await expect(carol.sendText(dave.name, "hello")).rejects.toMatchObject({ code: "SL_ERR_KT_NOT_INCLUDED" });
  });

  it("a removed entry: the head after it shrank the log is refused", async () => {
    const carol = await newClient((await proxy()).url);
    await carol.sync();
    const { treeSize } = await (await fetch(`${server.url}/v1/kt/head`)).json();
    await queryTestStore(serverDir, "DELETE FROM kt_log WHERE seq = ?", [treeSize - 1]); // carol's own entry
    await restart();
    await expect(carol.sync()).rejects.toMatchObject({ code: "SL_ERR_KT_INCONSISTENT" });
  });

  it("a forked history: a head of the same size over a rewritten entry is refused", async () => {
    const carol = await newClient((await proxy()).url);
    await carol.sync();
    await queryTestStore(serverDir, "UPDATE kt_log SET time = time + 1 WHERE seq = 0");
    await restart();
    await expect(carol.sync()).rejects.toMatchObject({ code: "SL_ERR_KT_INCONSISTENT" });
  });
});

describe("gossip", () => {
  it("a split view is caught when two clients compare their checkpoints", async () => {
    const frozen = await proxy();
    const carol = await newClient(frozen.url);
    await carol.sync();
    const carolView = await carol.keyTransparencyCheckpoint();
    // The server keeps serving carol her old view while it forks the log for everyone else.
    const head = await (await fetch(`${server.url}/v1/kt/head`)).json();
    frozen.rewrite = (path, body) => (path.startsWith("/v1/kt/head") ? head : body);
    await queryTestStore(serverDir, "UPDATE kt_log SET time = time + 1 WHERE seq = 1");
    await restart();
    const erin = await newClient((await proxy()).url);
    await erin.sync();
    await carol.sync(); // on her own, carol notices nothing
    const erinView = (await erin.keyTransparencyCheckpoint())!;
    expect(carolView).not.toBe(erinView);
    await expect(carol.compareKeyTransparency(erinView)).rejects.toMatchObject({ code: "SL_ERR_KT_INCONSISTENT" });
    await expect(erin.compareKeyTransparency(carolView!)).rejects.toMatchObject({ code: "SL_ERR_KT_INCONSISTENT" });
    // Two honest views compare fine.
    await expect(erin.compareKeyTransparency(erinView)).resolves.toBeUndefined();
  });
});


describe("docs/key-transparency.md", () => {
  const doc = readFileSync(new URL("../../../docs/key-transparency.md", import.meta.url), "utf8");
  it.each(KT_ERROR_CODES)("documents %s", (code) => {
    expect(doc).toMatch(new RegExp(`^\\| \`${code}\` \\|`, "m"));
  });
});
