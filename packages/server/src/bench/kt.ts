// `npm run bench:kt` (build first). Directory lookups with key-transparency proofs against the same
// lookups without them, in one run: a real server (in this process) on 127.0.0.1 with --accounts=N
// accounts (default 300) of --devices=D devices each (default 3, linked through the real routes), so
// the log holds N×D entries. Each lookup is GET /v1/accounts/:id plus what the client does with the
// answer: with proofs, check the head's signature and every device's inclusion proof
// (@safelight/protocol, as the SDK does); without, nothing, with the server's log swapped for one that
// hands back one canned head (SwitchableProofs). The arms alternate over --rounds=R rounds (default 6)
// of --lookups=L lookups (default 1000). Figures: process CPU ms per lookup (server + client, one
// process) and lookups/s, median round; the last line printed is one JSON object.
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fromB64, generateDeviceKeys, signChallenge, toB64, verifyKtInclusion, verifyTreeHead, type SignedTreeHead } from "@safelight/protocol";
import { KeyTransparencyLog, type DirectoryProof } from "../keyTransparency.js";
import { startServer } from "../start.js";
import { call, numberArg, pool } from "./setup.js";
import { median, round } from "./stats.js";

const ACCOUNTS = numberArg("accounts", 300);
const DEVICES = numberArg("devices", 3);
const ROUNDS = numberArg("rounds", 6);
const LOOKUPS = numberArg("lookups", 1000);

/** The real log, or (switched off) one canned head and no per-device proofs: the lookup without proofs. */
class SwitchableProofs extends KeyTransparencyLog {
  enabled = true;
  private canned: DirectoryProof | undefined;

  override async directoryProof(accountId: string, deviceIds: readonly string[], now: number): Promise<DirectoryProof> {
    if (this.enabled) return super.directoryProof(accountId, deviceIds, now);
    this.canned ??= { head: await this.head(now), devices: [] };
    return this.canned;
  }
}

interface Answer {
  accountId: string;
  devices: { deviceId: string; signatureKey: string }[];
  kt: DirectoryProof;
}

async function enrol(base: string, purpose: "register" | "link", path: string, body: Record<string, unknown>) {
  const keys = generateDeviceKeys();
  const { challenge } = await call<{ challenge: string }>(base, "POST", "/v1/auth/challenge", {});
  const signed = { ...body, signatureKey: toB64(keys.publicKey), challenge, signature: toB64(signChallenge(keys, purpose, challenge)) };
  return call<{ accountId: string; deviceId: string; token: string }>(base, "POST", path, signed);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "safelight-kt-bench-"));
  let log: SwitchableProofs | undefined;
  const server = await startServer({
    dataDir: dir,
    host: "127.0.0.1",
    port: 0,
    handleSignals: false,
    logger: false,
    limits: { rateBurst: 1e9, ratePerSecond: 1e9 }, // one client makes every lookup
    keyTransparency: (storage, franking) => (log = new SwitchableProofs(storage, franking)),
  });
  try {
    const base = server.url;
    const accounts = await pool(Array.from({ length: ACCOUNTS }, (_, i) => i), 8, async (i) => {
      const first = await enrol(base, "register", "/v1/accounts", { name: `ktbench_${i}`, birthdate: "1990-01-01" });
      for (let d = 1; d < DEVICES; d++) {
        const { code } = await call<{ code: string }>(base, "POST", "/v1/link-codes", {}, first.token);
        await enrol(base, "link", "/v1/devices", { code });
      }
      return first;
    });
    const token = accounts[0]!.token;
    const { keys } = await call<{ keys: { keyId: string; publicKey: string }[] }>(base, "GET", "/v1/franking/keys");
    const keyOf = new Map(keys.map((k) => [k.keyId, fromB64(k.publicKey)!]));

    // As the SDK does (session/keyTransparency.ts): a head already verified is not verified again.
    const verifiedHeads = new Set<string>();
    const verify = (a: Answer): void => {
      const head: SignedTreeHead = a.kt.head;
      if (!verifiedHeads.has(head.signature)) {
        if (!verifyTreeHead(keyOf.get(a.kt.head.keyId)!, head)) throw new Error("head does not verify");
        verifiedHeads.add(head.signature);
      }
      for (const d of a.devices) {
        const p = a.kt.devices.find((x) => x.deviceId === d.deviceId)!;
        const entry = { accountId: a.accountId, deviceId: d.deviceId, action: "add" as const, publicKey: d.signatureKey, time: p.time };
        if (!verifyKtInclusion(head, entry, p.index, p.proof)) throw new Error("inclusion does not verify");
      }
    };
    const arm = async (proofs: boolean) => {
      log!.enabled = proofs;
      const cpu = process.cpuUsage();
      const start = performance.now();
      for (let i = 0; i < LOOKUPS; i++) {
        const answer = await call<Answer>(base, "GET", `/v1/accounts/${accounts[i % accounts.length]!.accountId}`, undefined, token);
        if (proofs) verify(answer);
      }
      const used = process.cpuUsage(cpu);
      return { cpuMs: (used.user + used.system) / 1000 / LOOKUPS, perSecond: LOOKUPS / ((performance.now() - start) / 1000) };
    };
    await arm(true); // warm-up: JIT, the server's tree
    await arm(false);
    const withP: { cpuMs: number; perSecond: number }[] = [];
    const without: { cpuMs: number; perSecond: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      withP.push(await arm(true));
      without.push(await arm(false));
    }
    const result = {
      logEntries: ACCOUNTS * DEVICES,
      devicesPerAnswer: DEVICES,
      withProofs: { cpuMsPerLookup: round(median(withP.map((x) => x.cpuMs)), 3), lookupsPerSecond: round(median(withP.map((x) => x.perSecond)), 0) },
      withoutProofs: { cpuMsPerLookup: round(median(without.map((x) => x.cpuMs)), 3), lookupsPerSecond: round(median(without.map((x) => x.perSecond)), 0) },
      cpuRatio: round(median(withP.map((x) => x.cpuMs)) / median(without.map((x) => x.cpuMs)), 2),
      loadavg: loadavg().map((l) => round(l, 1)),
    };
    console.log(
      `directory lookups, ${result.logEntries}-entry log, ${DEVICES} devices per answer (median of ${ROUNDS} rounds of ${LOOKUPS}):\n` +
        `  with proofs (served + checked): ${result.withProofs.cpuMsPerLookup} ms CPU, ${result.withProofs.lookupsPerSecond}/s\n` +
        `  without proofs:                 ${result.withoutProofs.cpuMsPerLookup} ms CPU, ${result.withoutProofs.lookupsPerSecond}/s\n` +
        `  CPU ratio ${result.cpuRatio}×`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
