/**
 * "Invisible salamanders" against our attachments (docs/attachments.md). We build a real AES-GCM
 * ciphertext that authenticates under two different keys (the multi-key collision of Dodis et al.,
 * CRYPTO 2018 / Albertini et al., USENIX Security 2022: solve one ciphertext block so both GHASH tags
 * agree), show that raw AES-GCM accepts it under both keys with two different plaintexts, and that a
 * Safelight attachment built from it opens under exactly one file key.
 */
import { createCipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AttachmentError, openAttachment } from "../src/index.js";

// --- GF(2^128) as GCM defines it (NIST SP 800-38D §6.3): bit 0 is the most significant bit. ---
const R = 0xe1n << 120n;
const MASK = (1n << 128n) - 1n;

function gmul(x: bigint, y: bigint): bigint {
  let z = 0n;
  let v = y;
  for (let i = 127; i >= 0; i--) {
    if ((x >> BigInt(i)) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z;
}

function gpow(x: bigint, e: bigint): bigint {
  let result = 1n << 127n; // the field's 1 in GCM bit order
  let base = x;
  while (e > 0n) {
    if (e & 1n) result = gmul(result, base);
    base = gmul(base, base);
    e >>= 1n;
  }
  return result;
}

const ginv = (x: bigint) => gpow(x, (1n << 128n) - 2n);
const toInt = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString("hex") || "0"}`);
const toBlock = (x: bigint) => Buffer.from((x & MASK).toString(16).padStart(32, "0"), "hex");

function aesBlock(key: Uint8Array, block: Uint8Array): bigint {
  const c = createCipheriv("aes-256-ecb", key, null).setAutoPadding(false);
  return toInt(Buffer.concat([c.update(block), c.final()]));
}

function blocksOf(data: Uint8Array): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < data.length; i += 16) {
    const block = Buffer.alloc(16);
    Buffer.from(data.subarray(i, i + 16)).copy(block);
    out.push(toInt(block));
  }
  return out;
}

/** GHASH_H(A, C) as a list of blocks, each to be multiplied by H^(n - index). */
function ghashBlocks(aad: Uint8Array, ct: Uint8Array): bigint[] {
  const lengths = (BigInt(aad.length * 8) << 64n) | BigInt(ct.length * 8);
  return [...blocksOf(aad), ...blocksOf(ct), lengths];
}

function ghash(h: bigint, blocks: bigint[]): bigint {
  return blocks.reduce((y, x) => gmul(y ^ x, h), 0n);
}

/** A ciphertext (+tag) for 96-bit nonce `nonce` that authenticates under both k1 and k2. */
function collide(k1: Uint8Array, k2: Uint8Array, nonce: Uint8Array, aad: Uint8Array, blocks: number): Uint8Array {
  const j0 = Buffer.concat([nonce, Buffer.from([0, 0, 0, 1])]);
  const [h1, h2] = [aesBlock(k1, Buffer.alloc(16)), aesBlock(k2, Buffer.alloc(16))];
  const [s1, s2] = [aesBlock(k1, j0), aesBlock(k2, j0)];
  const ct = Buffer.from(randomBytes(16 * blocks));
  const free = blocks - 1; // the last ciphertext block is solved for
  ct.fill(0, 16 * free);
  const gh = ghashBlocks(aad, ct);
  const diff = ghash(h1, gh) ^ ghash(h2, gh) ^ s1 ^ s2;
  // Block at position p (0-based) among n GHASH blocks is multiplied by H^(n - p).
  const exponent = BigInt(gh.length - (blocksOf(aad).length + free));
  const c = gmul(diff, ginv(gpow(h1, exponent) ^ gpow(h2, exponent)));
  toBlock(c).copy(ct, 16 * free);
  const tag = toBlock(ghash(h1, ghashBlocks(aad, ct)) ^ s1);
  return Buffer.concat([ct, tag]);
}

async function gcmOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key as BufferSource, "AES-GCM", false, ["decrypt"]);
  return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce as BufferSource, additionalData: aad as BufferSource }, k, data as BufferSource));
}

/** The documented key schedule (docs/attachments.md), derived independently here with node:crypto. */
function derived(fileKey: Uint8Array, what: "encryption key" | "key commitment"): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", fileKey, new Uint8Array(0), `safelight attachment v1 ${what}`, 32));
}

describe("invisible salamanders", () => {
  const magic = new TextEncoder().encode("SLA1");
  const nonce = randomBytes(12);
  const fileKey1 = randomBytes(32);
  const fileKey2 = randomBytes(32);
  const enc1 = derived(fileKey1, "encryption key");
  const enc2 = derived(fileKey2, "encryption key");
  const sealed = collide(enc1, enc2, nonce, magic, 4);

  it("raw AES-GCM accepts one ciphertext under two keys, as two different files", async () => {
    const p1 = await gcmOpen(enc1, nonce, magic, sealed);
    const p2 = await gcmOpen(enc2, nonce, magic, sealed);
    expect(p1).toHaveLength(64);
    expect(Buffer.from(p1).equals(Buffer.from(p2))).toBe(false);
  });

  it("a Safelight attachment made of that ciphertext opens under exactly one file key", async () => {
    const blob = Buffer.concat([magic, derived(fileKey1, "key commitment"), nonce, sealed]);
    const digest = createHash("sha256").update(blob).digest();
    const shown = await openAttachment(blob, fileKey1, digest);
    expect(Buffer.from(shown).equals(Buffer.from(await gcmOpen(enc1, nonce, magic, sealed)))).toBe(true);
    // The second key — what a report or a second recipient would be handed — is refused.
    await expect(openAttachment(blob, fileKey2, digest)).rejects.toThrow(AttachmentError);
    await expect(openAttachment(blob, fileKey2, digest)).rejects.toThrow(/commitment/);
    // Committing to the second key instead needs a different blob, hence a different digest than the
    // one the franked message carries.
    const other = Buffer.concat([magic, derived(fileKey2, "key commitment"), nonce, sealed]);
    await expect(openAttachment(other, fileKey2, digest)).rejects.toThrow(/digest/);
  });
});
