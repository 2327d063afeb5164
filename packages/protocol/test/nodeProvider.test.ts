import { hkdfSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { defaultCryptoProvider, type CiphersuiteImpl } from "ts-mls";
import { nodeCryptoProvider } from "../src/crypto/nodeProvider.js";
import { BoundedCache } from "../src/crypto/boundedCache.js";
import { defaultSuiteName, nodeCryptoProvider as reexported } from "../src/crypto/index.js";

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

const node = (): Promise<CiphersuiteImpl> => nodeCryptoProvider.getCiphersuiteImpl(1);
const webcrypto = (): Promise<CiphersuiteImpl> => defaultCryptoProvider.getCiphersuiteImpl(1);

describe("crypto index", () => {
  it("re-exports the provider and names suite 1", () => {
    expect(reexported).toBe(nodeCryptoProvider);
    expect(defaultSuiteName).toBe("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519");
  });

  it("refuses ciphersuites it does not implement", async () => {
    await expect(nodeCryptoProvider.getCiphersuiteImpl(2)).rejects.toThrow(/only ciphersuite 1/);
  });
});

describe("HKDF (RFC 5869 test case 1)", () => {
  const ikm = hex("0b".repeat(22));
  const salt = hex("000102030405060708090a0b0c");
  const info = hex("f0f1f2f3f4f5f6f7f8f9");
  const prk = "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5";
  const okm = "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865";

  it("extract and expand reproduce the RFC outputs", async () => {
    const cs = await node();
    expect(toHex(await cs.kdf.extract(salt, ikm))).toBe(prk);
    expect(toHex(await cs.kdf.expand(hex(prk), info, 42))).toBe(okm);
  });

  it("matches node's one-shot hkdf for random inputs and lengths", async () => {
    const cs = await node();
    for (const len of [1, 16, 32, 33, 64, 100, 255 * 32]) {
      const [i, s, f] = [randomBytes(40), randomBytes(32), randomBytes(20)];
      const expected = new Uint8Array(hkdfSync("sha256", i, s, f, len));
      expect(await cs.kdf.expand(await cs.kdf.extract(s, i), f, len)).toEqual(expected);
    }
  });

  it("rejects lengths beyond 255 * HashLen", async () => {
    const cs = await node();
    await expect(cs.kdf.expand(new Uint8Array(32), new Uint8Array(0), 255 * 32 + 1)).rejects.toThrow(RangeError);
  });

  it("treats an empty salt as HashLen zero bytes", async () => {
    const cs = await node();
    expect(await cs.kdf.extract(new Uint8Array(0), ikm)).toEqual(await cs.kdf.extract(new Uint8Array(32), ikm));
  });
});

describe("hash and HMAC", () => {
  it("SHA-256 of 'abc' (FIPS 180-2 example)", async () => {
    const cs = await node();
    expect(toHex(await cs.hash.digest(new TextEncoder().encode("abc")))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("MAC agrees with WebCrypto and rejects altered data or tags", async () => {
    const [n, w] = [await node(), await webcrypto()];
    const key = randomBytes(32);
    const data = randomBytes(77);
    const mac = await n.hash.mac(key, data);
    expect(mac).toEqual(await w.hash.mac(key, data));
    expect(await n.hash.verifyMac(key, mac, data)).toBe(true);
    const flipped = Uint8Array.from(mac);
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(await n.hash.verifyMac(key, flipped, data)).toBe(false);
    expect(await n.hash.verifyMac(key, mac.subarray(0, 16), data)).toBe(false);
    expect(await n.hash.verifyMac(key, mac, Uint8Array.of(...data, 0))).toBe(false);
  });
});

describe("AES-128-GCM", () => {
  it("interoperates with WebCrypto in both directions", async () => {
    const [n, w] = [await node(), await webcrypto()];
    const [key, nonce, aad, pt] = [randomBytes(16), randomBytes(12), randomBytes(9), randomBytes(100)];
    const ct = await n.hpke.encryptAead(key, nonce, aad, pt);
    expect(ct.length).toBe(pt.length + 16);
    expect(ct).toEqual(await w.hpke.encryptAead(key, nonce, aad, pt));
    expect(await w.hpke.decryptAead(key, nonce, aad, ct)).toEqual(new Uint8Array(pt));
    expect(await n.hpke.decryptAead(key, nonce, undefined, await w.hpke.encryptAead(key, nonce, undefined, pt))).toEqual(
      new Uint8Array(pt),
    );
  });

  it("fails on a flipped tag, flipped ciphertext, wrong AAD or truncation", async () => {
    const n = await node();
    const [key, nonce, aad] = [randomBytes(16), randomBytes(12), randomBytes(9)];
    const ct = await n.hpke.encryptAead(key, nonce, aad, randomBytes(100));
    for (const index of [ct.length - 1, 0]) {
      const bad = Uint8Array.from(ct);
      bad[index] = (bad[index] ?? 0) ^ 0x80;
      await expect(n.hpke.decryptAead(key, nonce, aad, bad)).rejects.toThrow(/authentication failed/);
    }
    await expect(n.hpke.decryptAead(key, nonce, Uint8Array.of(1), ct)).rejects.toThrow();
    await expect(n.hpke.decryptAead(key, nonce, aad, ct.subarray(0, 10))).rejects.toThrow();
  });

  it("rejects keys and nonces of the wrong size", async () => {
    const n = await node();
    await expect(n.hpke.encryptAead(randomBytes(32), randomBytes(12), undefined, randomBytes(1))).rejects.toThrow(/key/);
    await expect(n.hpke.encryptAead(randomBytes(16), randomBytes(16), undefined, randomBytes(1))).rejects.toThrow(/nonce/);
  });
});

describe("Ed25519", () => {
  // RFC 8032 §7.1, TEST 1 (empty message).
  const seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const pub = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const sig =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

  it("reproduces the RFC 8032 signature and verifies it", async () => {
    const n = await node();
    expect(toHex(await n.signature.sign(seed, new Uint8Array(0)))).toBe(sig);
    expect(await n.signature.verify(pub, new Uint8Array(0), hex(sig))).toBe(true);
  });

  it("rejects a signature over altered bytes, a flipped signature and a foreign key", async () => {
    const n = await node();
    const msg = randomBytes(64);
    const s = await n.signature.sign(seed, msg);
    const altered = Uint8Array.from(msg);
    altered[5] = (altered[5] ?? 0) ^ 1;
    expect(await n.signature.verify(pub, msg, s)).toBe(true);
    expect(await n.signature.verify(pub, altered, s)).toBe(false);
    const badSig = Uint8Array.from(s);
    badSig[10] = (badSig[10] ?? 0) ^ 1;
    expect(await n.signature.verify(pub, msg, badSig)).toBe(false);
    const other = await n.signature.keygen();
    expect(await n.signature.verify(other.publicKey, msg, s)).toBe(false);
  });

  it("returns false, not an exception, for malformed keys and signatures", async () => {
    const n = await node();
    expect(await n.signature.verify(new Uint8Array(31), new Uint8Array(0), hex(sig))).toBe(false);
    expect(await n.signature.verify(pub, new Uint8Array(0), hex(sig).subarray(0, 63))).toBe(false);
  });

  it("the per-array key cache notices a key array rewritten in place", async () => {
    const n = await node();
    const [a, b] = [await n.signature.keygen(), await n.signature.keygen()];
    const msg = randomBytes(16);
    const key = Uint8Array.from(a.signKey);
    expect(await n.signature.verify(a.publicKey, msg, await n.signature.sign(key, msg))).toBe(true);
    key.set(b.signKey);
    expect(await n.signature.verify(b.publicKey, msg, await n.signature.sign(key, msg))).toBe(true);
    const pub = Uint8Array.from(a.publicKey);
    const sigB = await n.signature.sign(b.signKey, msg);
    expect(await n.signature.verify(pub, msg, sigB)).toBe(false);
    pub.set(b.publicKey);
    expect(await n.signature.verify(pub, msg, sigB)).toBe(true);
  });

  it("keys interoperate with the WebCrypto provider both ways, including its PKCS#8 keys", async () => {
    const [n, w] = [await node(), await webcrypto()];
    const msg = randomBytes(33);
    const ours = await n.signature.keygen();
    expect(ours.signKey.length).toBe(32);
    expect(await w.signature.verify(ours.publicKey, msg, await n.signature.sign(ours.signKey, msg))).toBe(true);
    expect(await n.signature.verify(ours.publicKey, msg, await w.signature.sign(ours.signKey, msg))).toBe(true);
    const theirs = await w.signature.keygen(); // PKCS#8 private key
    expect(await n.signature.verify(theirs.publicKey, msg, await n.signature.sign(theirs.signKey, msg))).toBe(true);
  });
});

describe("rng", () => {
  it("returns plain Uint8Arrays of the requested size that differ", async () => {
    const n = await node();
    const [a, b] = [n.rng.randomBytes(32), n.rng.randomBytes(32)];
    expect(a).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(a)).toBe(false);
    expect(a.length).toBe(32);
    expect(a).not.toEqual(b);
  });
});

describe("BoundedCache", () => {
  it("evicts the least recently used entry", () => {
    const cache = new BoundedCache<number>(2);
    let created = 0;
    const make = (v: number) => () => (created++, v);
    cache.getOrCreate("a", make(1));
    cache.getOrCreate("b", make(2));
    cache.getOrCreate("a", make(99)); // hit; "b" is now oldest
    cache.getOrCreate("c", make(3));
    expect(cache.size).toBe(2);
    expect(cache.getOrCreate("a", make(99))).toBe(1);
    expect(cache.getOrCreate("b", make(22))).toBe(22);
    expect(created).toBe(4);
  });
});
