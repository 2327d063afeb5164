/**
 * The server's side of message franking (docs/franking.md): stamps accepted application messages and
 * checks the openings a reporter reveals. Keys rotate; retired keys stay usable for verification for the
 * report window.
 */
import { createHmac, createPrivateKey, randomBytes, sign, type KeyObject } from "node:crypto";
import {
  computeServerFrank,
  constantTimeEqual,
  encodeFrankContext,
  frankSignatureInput,
  decodeContent,
  frankingTag,
  fromB64,
  generateDeviceKeys,
  toB64,
  type FrankContext,
  type ServerFrank,
} from "@safelight/protocol";
import { randomId } from "./crypto.js";
import type { FrankingKeyRecord, Storage } from "./storage/types.js";

export class FrankingService {
  /** Newest first; refreshed after a rotation. */
  private keys: FrankingKeyRecord[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly rotationMs: number,
  ) {}

  /** The key to stamp with now, rotating when the newest is older than the rotation period. */
  private async current(now: number): Promise<FrankingKeyRecord> {
    if (this.keys.length === 0) this.keys = await this.storage.listFrankingKeys();
    const newest = this.keys[0];
    if (newest && newest.retiredAt === undefined && now - newest.createdAt < this.rotationMs) return newest;
    const signer = generateDeviceKeys();
    await this.storage.rotateFrankingKey({
      keyId: randomId(8),
      hmacKey: new Uint8Array(randomBytes(32)),
      signKey: signer.signKey,
      publicKey: signer.publicKey,
      createdAt: now,
      retiredAt: undefined,
    });
    this.keys = await this.storage.listFrankingKeys();
    return this.keys[0]!;
  }

  /** On the hot path of every message, so node:crypto with the key imported once (the same HMAC and
   *  Ed25519 as @safelight/protocol's reference functions; a test checks they agree). */
  async stamp(tag: Uint8Array, context: FrankContext): Promise<ServerFrank> {
    const key = await this.current(context.acceptedAt);
    const frank = new Uint8Array(createHmac("sha256", key.hmacKey).update(tag).update(encodeFrankContext(context)).digest());
    const signature = new Uint8Array(sign(null, frankSignatureInput(frank, context), this.signingKey(key)));
    return { keyId: key.keyId, serverFrank: toB64(frank), signature: toB64(signature) };
  }

  private signingKeys = new Map<string, KeyObject>();

  private signingKey(key: FrankingKeyRecord): KeyObject {
    let k = this.signingKeys.get(key.keyId);
    if (!k) {
      // PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410 §7).
      const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), key.signKey]);
      k = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
      this.signingKeys.set(key.keyId, k);
    }
    return k;
  }

  async publicKeys(now: number): Promise<{ keyId: string; publicKey: string; createdAt: number; retiredAt?: number }[]> {
    await this.current(now);
    return this.keys.map((k) => ({
      keyId: k.keyId,
      publicKey: toB64(k.publicKey),
      createdAt: k.createdAt,
      ...(k.retiredAt !== undefined ? { retiredAt: k.retiredAt } : {}),
    }));
  }

  /** Recomputes the tag from the revealed content's salt and the server frank under `keyId`; true only
   *  if the opening is exactly what this server stamped. */
  async verifyOpening(opening: { content: Uint8Array; keyId: string; serverFrank: Uint8Array }, context: FrankContext): Promise<boolean> {
    const content = decodeContent(opening.content);
    const salt = content && fromB64(content.salt);
    if (!salt) return false;
    const key = (await this.storage.listFrankingKeys()).find((k) => k.keyId === opening.keyId);
    if (!key) return false;
    const expected = computeServerFrank(key.hmacKey, frankingTag(salt, opening.content), context);
    return constantTimeEqual(expected, opening.serverFrank);
  }
}
