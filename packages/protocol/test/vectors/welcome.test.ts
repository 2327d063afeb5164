// welcome.json: open a Welcome with the joiner's init key, decrypt the
// GroupInfo and check its signature and confirmation tag (RFC 9420 §12.4.3.1).
import { describe, expect, it } from "vitest";
import { decode, mlsMessageDecoder, wireformats, type MlsMessage } from "ts-mls";
import { describeVectors, hex, loadVectors } from "./common.js";
import {
  decryptGroupInfo,
  decryptGroupSecrets,
  makeKeyPackageRef,
  verifyGroupInfoConfirmationTag,
  verifyGroupInfoSignature,
} from "./tsMlsInternals.js";

interface WelcomeVector {
  cipher_suite: number;
  init_priv: string;
  key_package: string;
  signer_pub: string;
  welcome: string;
}

const vectors = loadVectors<WelcomeVector>("welcome.json");

function message(bytes: string): MlsMessage {
  const m = decode(mlsMessageDecoder, hex(bytes));
  if (m === undefined) throw new Error("undecodable MLSMessage");
  return m;
}

await describeVectors("welcome", vectors, {
  "": async ({ vector: v, cs }) => {
    const kp = message(v.key_package);
    const w = message(v.welcome);
    if (kp.wireformat !== wireformats.mls_key_package || w.wireformat !== wireformats.mls_welcome) {
      throw new Error("expected a KeyPackage and a Welcome");
    }
    const ref = await makeKeyPackageRef(kp.keyPackage, cs.hash);
    const initKey = await cs.hpke.importPrivateKey(hex(v.init_priv));
    const secrets = await decryptGroupSecrets(initKey, ref, w.welcome, cs.hpke);
    expect(secrets).toBeDefined();
    expect(secrets!.psks).toEqual([]);
    const pskSecret = new Uint8Array(cs.kdf.size); // no PSKs: psk_secret is all zeros (RFC 9420 §8.4)
    const groupInfo = await decryptGroupInfo(w.welcome, secrets!.joinerSecret, pskSecret, cs);
    expect(groupInfo).toBeDefined();
    expect(await verifyGroupInfoSignature(groupInfo!, hex(v.signer_pub), cs.signature)).toBe(true);
    expect(await verifyGroupInfoConfirmationTag(groupInfo!, secrets!.joinerSecret, pskSecret, cs)).toBe(true);

    // Attacks: a different signer key, or a wrong joiner secret, must not be accepted.
    const other = await cs.signature.keygen();
    expect(await verifyGroupInfoSignature(groupInfo!, other.publicKey, cs.signature)).toBe(false);
    await expect(decryptGroupInfo(w.welcome, new Uint8Array(cs.kdf.size), pskSecret, cs)).rejects.toThrow();
  },
});
