import { randomBytes } from "node:crypto";
import { toB64 } from "@safelight/protocol";
import { verifyEd25519 } from "@safelight/protocol/node";
import type { ServerConfig } from "./config.js";
import { proofMessage, sha256, type ProofPurpose } from "./crypto.js";
import { ApiError } from "./errors.js";
import type { NewSession } from "./storage/types.js";
import { b64Field } from "./wire.js";

/** A fresh bearer token: the caller gets the token, storage gets only SHA-256(token). */
export function newSession(config: ServerConfig, now: number): { token: string; session: NewSession } {
  const raw = new Uint8Array(randomBytes(32));
  return {
    token: toB64(raw),
    session: { tokenHash: sha256(raw), expiresAt: now + config.tokenLifetimeMs },
  };
}

/** Checks the challenge–response proof (docs/protocol.md); 401 SL_ERR_BAD_PROOF otherwise. */
export function checkProof(purpose: ProofPurpose, challenge: string, signatureB64: string, key: Uint8Array): void {
  const signature = b64Field(signatureB64, "signature");
  if (!verifyEd25519(key, proofMessage(purpose, challenge), signature)) {
    throw new ApiError("SL_ERR_BAD_PROOF", "signature does not verify under the device key");
  }
}

/** A raw Ed25519 public key from JSON. */
export function signatureKeyField(value: string): Uint8Array {
  const key = b64Field(value, "signatureKey");
  if (key.length !== 32) throw new ApiError("SL_ERR_BAD_REQUEST", "signatureKey must be a 32-byte Ed25519 key");
  return key;
}
