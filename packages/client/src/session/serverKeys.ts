/** The server's published Ed25519 keys (GET /v1/franking/keys) by key id: franking stamps and
 *  key-transparency heads are both signed with them. A key id, once learnt, keeps its key. */
import { fromB64 } from "@safelight/protocol";
import type { Api } from "../transport/api.js";

export class ServerKeys {
  private readonly keys = new Map<string, Uint8Array>();

  constructor(private readonly call: <T>(fn: (api: Api) => Promise<T>) => Promise<T>) {}

  async get(keyId: string): Promise<Uint8Array | undefined> {
    if (!this.keys.has(keyId)) {
      const { keys } = await this.call((a) => a.frankingKeys());
      for (const k of keys) {
        const pub = fromB64(k.publicKey);
        if (pub && !this.keys.has(k.keyId)) this.keys.set(k.keyId, pub);
      }
    }
    return this.keys.get(keyId);
  }
}
