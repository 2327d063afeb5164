// psk_secret.json: chaining external PSKs into psk_secret (RFC 9420 §8.4).
import { describe, expect, it } from "vitest";
import { pskTypes } from "ts-mls";
import { describeVectors, hex, loadVectors } from "./common.js";
import { computePskSecret, type PskId } from "./tsMlsInternals.js";

interface PskVector {
  cipher_suite: number;
  psks: { psk_id: string; psk: string; psk_nonce: string }[];
  psk_secret: string;
}

const vectors = loadVectors<PskVector>("psk_secret.json");

await describeVectors("psk_secret", vectors, {
  "": async ({ vector: v, cs }) => {
    const psks: [PskId, Uint8Array][] = v.psks.map((p) => [
      { psktype: pskTypes.external, pskId: hex(p.psk_id), pskNonce: hex(p.psk_nonce) },
      hex(p.psk),
    ]);
    expect(await computePskSecret(psks, cs)).toEqual(hex(v.psk_secret));
  },
});
