// secret-tree.json: sender-data key/nonce and per-leaf handshake/application
// ratchets at chosen generations (RFC 9420 §6.3.2, §9).
import { describe, expect, it } from "vitest";
import { contentTypes } from "ts-mls";
import { describeVectors, hex, loadVectors } from "./common.js";
import { createSecretTree, expandSenderDataKey, expandSenderDataNonce, ratchetToGeneration } from "./tsMlsInternals.js";

interface Generation {
  generation: number;
  application_key: string;
  application_nonce: string;
  handshake_key: string;
  handshake_nonce: string;
}
interface SecretTreeVector {
  cipher_suite: number;
  encryption_secret: string;
  sender_data: { sender_data_secret: string; ciphertext: string; key: string; nonce: string };
  leaves: Generation[][];
}

const vectors = loadVectors<SecretTreeVector>("secret-tree.json");
// Let the ratchet walk as far as the vectors ask; retention is irrelevant here.
const retention = { retainKeysForGenerations: 10, retainKeysForEpochs: 1, maximumForwardRatchetSteps: 1 << 20 };
const zeroGuard = new Uint8Array(4) as Uint8Array & { length: 4 };

await describeVectors("secret-tree", vectors, {
  "": async ({ vector: v, cs }) => {
    const sd = v.sender_data;
    expect(await expandSenderDataKey(cs, hex(sd.sender_data_secret), hex(sd.ciphertext))).toEqual(hex(sd.key));
    expect(await expandSenderDataNonce(cs, hex(sd.sender_data_secret), hex(sd.ciphertext))).toEqual(hex(sd.nonce));

    for (const [leafIndex, generations] of v.leaves.entries()) {
      // A fresh tree per check: each generation is reached by ratcheting from the tree root.
      for (const g of generations) {
        for (const [type, key, nonce] of [
          [contentTypes.application, g.application_key, g.application_nonce],
          [contentTypes.commit, g.handshake_key, g.handshake_nonce],
        ] as const) {
          const tree = createSecretTree(v.leaves.length, hex(v.encryption_secret));
          const sender = { leafIndex, generation: g.generation, reuseGuard: zeroGuard };
          const r = await ratchetToGeneration(tree, sender, type, retention, cs);
          expect(r.key).toEqual(hex(key));
          expect(r.nonce).toEqual(hex(nonce));
        }
      }
    }
  },
});
