// crypto-basics.json: RefHash, ExpandWithLabel, DeriveSecret, DeriveTreeSecret,
// SignWithLabel and EncryptWithLabel (RFC 9420 §5.1-5.2) per ciphersuite.
import { describe, expect, it } from "vitest";
import { describeVectors, hex, loadVectors } from "./common.js";
import {
  decryptWithLabel,
  deriveSecret,
  deriveTreeSecret,
  encryptWithLabel,
  expandWithLabel,
  refhash,
  signWithLabel,
  verifyWithLabel,
} from "./tsMlsInternals.js";

interface CryptoBasics {
  cipher_suite: number;
  ref_hash: { label: string; value: string; out: string };
  expand_with_label: { secret: string; label: string; context: string; length: number; out: string };
  derive_secret: { secret: string; label: string; out: string };
  derive_tree_secret: { secret: string; label: string; generation: number; length: number; out: string };
  sign_with_label: { priv: string; pub: string; content: string; label: string; signature: string };
  encrypt_with_label: {
    priv: string;
    pub: string;
    label: string;
    context: string;
    plaintext: string;
    kem_output: string;
    ciphertext: string;
  };
}

const vectors = loadVectors<CryptoBasics>("crypto-basics.json");

await describeVectors("crypto-basics", vectors, {
  "": async ({ vector: v, cs }) => {
    expect(await refhash(v.ref_hash.label, hex(v.ref_hash.value), cs.hash)).toEqual(hex(v.ref_hash.out));

    const e = v.expand_with_label;
    expect(await expandWithLabel(hex(e.secret), e.label, hex(e.context), e.length, cs.kdf)).toEqual(hex(e.out));
    expect(await deriveSecret(hex(v.derive_secret.secret), v.derive_secret.label, cs.kdf)).toEqual(hex(v.derive_secret.out));
    const t = v.derive_tree_secret;
    expect(await deriveTreeSecret(hex(t.secret), t.label, t.generation, t.length, cs.kdf)).toEqual(hex(t.out));

    const s = v.sign_with_label;
    expect(await verifyWithLabel(hex(s.pub), s.label, hex(s.content), hex(s.signature), cs.signature)).toBe(true);
    const ours = await signWithLabel(hex(s.priv), s.label, hex(s.content), cs.signature);
    expect(await verifyWithLabel(hex(s.pub), s.label, hex(s.content), ours, cs.signature)).toBe(true);
    // Attack: the same signature must not cover different content or a different label.
    const altered = hex(s.content);
    altered[0] = (altered[0] ?? 0) ^ 1;
    expect(await verifyWithLabel(hex(s.pub), s.label, altered, hex(s.signature), cs.signature)).toBe(false);
    expect(await verifyWithLabel(hex(s.pub), `${s.label}X`, hex(s.content), hex(s.signature), cs.signature)).toBe(false);

    const h = v.encrypt_with_label;
    const priv = await cs.hpke.importPrivateKey(hex(h.priv));
    const pub = await cs.hpke.importPublicKey(hex(h.pub));
    expect(await decryptWithLabel(priv, h.label, hex(h.context), hex(h.kem_output), hex(h.ciphertext), cs.hpke)).toEqual(
      hex(h.plaintext),
    );
    const fresh = await encryptWithLabel(pub, h.label, hex(h.context), hex(h.plaintext), cs.hpke);
    expect(await decryptWithLabel(priv, h.label, hex(h.context), fresh.enc, fresh.ct, cs.hpke)).toEqual(hex(h.plaintext));
    const tampered = hex(h.ciphertext);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    await expect(decryptWithLabel(priv, h.label, hex(h.context), hex(h.kem_output), tampered, cs.hpke)).rejects.toThrow();
  },
});
