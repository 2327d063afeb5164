/**
 * The auditor (docs/key-transparency.md, "Auditing"): replays the whole public log, recomputes its root,
 * checks the current signed head, and checks a checkpoint from anyone (an earlier audit, another
 * auditor, a client's `keyTransparencyCheckpoint()`) against this view. Needs no account.
 */
import { merkleFrontierRoot, toB64 } from "@safelight/protocol";
import { SafelightError } from "../errors.js";
import { Api, type ServedTreeHead } from "../transport/api.js";
import { HttpTransport } from "../transport/http.js";
import { checkConsistent, checkHeadSignature, checkRoot, readLog, sameRoot, type ApiCall, type Checkpoint } from "./keyTransparency.js";
import { ServerKeys } from "./serverKeys.js";

export interface AuditResult {
  head: ServedTreeHead;
  entries: number;
  /** Entries per action, and how many accounts appear. */
  adds: number;
  revokes: number;
  accounts: number;
}

export async function auditLog(serverUrl: string, from?: Checkpoint): Promise<AuditResult> {
  const api = new Api(new HttpTransport({ baseUrl: serverUrl }));
  const call: ApiCall = (fn) => fn(api);
  const head = await api.ktHead();
  await checkHeadSignature(new ServerKeys(call), head);
  const accounts = new Set<string>();
  let adds = 0;
  let revokes = 0;
  let atCheckpoint: string | undefined;
  const frontier = await readLog(call, 0, head.treeSize, [], (e, index, range) => {
    accounts.add(e.accountId);
    if (e.action === "add") adds++;
    else revokes++;
    if (from && index + 1 === from.treeSize) atCheckpoint = toB64(merkleFrontierRoot(range));
  });
  checkRoot(frontier, head);
  if (from) {
    // The replayed prefix must hash to the checkpoint; one newer than this view must extend it.
    if (from.treeSize > head.treeSize) await checkConsistent(call, head, from);
    else if (!sameRoot(from.treeSize === 0 ? toB64(merkleFrontierRoot([])) : (atCheckpoint ?? ""), from.rootHash)) {
      throw new SafelightError("SL_ERR_KT_INCONSISTENT", `the log's first ${from.treeSize} entries do not hash to the checkpoint's root (a rewritten, removed or forked history, or a split view)`);
    } else await checkConsistent(call, from, head);
  }
  return { head, entries: head.treeSize, adds, revokes, accounts: accounts.size };
}
