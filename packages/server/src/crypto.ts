import { createHash, randomBytes, randomFillSync } from "node:crypto";
import { toB64 } from "@safelight/protocol";

// Ids are drawn on every message: one CSPRNG call per 4 KiB instead of one per id (the same pooling
// node:crypto's randomUUID does). Each byte is handed out once.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function pooled(byteLength: number): Buffer {
  if (poolOffset + byteLength > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + byteLength);
  poolOffset += byteLength;
  return bytes;
}

/** Random unguessable id/secret, base64url (16 bytes for ids, 32 for secrets). Never starts with "-",
 *  so the CLI can take it as an argument (it would read as an option); that costs 0.02 bits. */
export function randomId(byteLength = 16): string {
  for (;;) {
    const id = byteLength > POOL_BYTES ? toB64(new Uint8Array(randomBytes(byteLength))) : pooled(byteLength).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

/**
 * Id of a queued message: 6 bytes of the accept time in ms, then 10 random bytes (80 bits), base64url
 * (22 characters, like randomId). Ids made close in time share a prefix, so the indexes on message ids
 * grow at a few hot pages instead of at random places.
 */
export function messageId(now: number): string {
  const id = Buffer.allocUnsafe(16);
  id.writeUIntBE(now, 0, 6);
  pooled(10).copy(id, 6);
  return id.toString("base64url");
}

/**
 * Id of an application message: derived from its group and its MLS ciphertext (unique per send), so a
 * client that resends the same bytes after a lost answer gets the same id and the store, whose appends
 * are idempotent by id, queues nothing twice. Such ids lose messageId's time prefix: a retry comes at
 * another time. The top bit is cleared so the id never starts with "-" (see randomId).
 */
export function applicationMessageId(groupId: Uint8Array, message: Uint8Array): string {
  const id = Buffer.from(createHash("sha256").update("safelight-message-id-v1").update(groupId).update(message).digest().subarray(0, 16));
  id[0]! &= 0x7f;
  return id.toString("base64url");
}

export function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

export type ProofPurpose = "register" | "login" | "link";

/** The exact bytes a device signs to prove key possession (docs/protocol.md, challenge–response). */
export function proofMessage(purpose: ProofPurpose, challenge: string): Uint8Array {
  return new TextEncoder().encode(`safelight-auth-v1:${purpose}:${challenge}`);
}
