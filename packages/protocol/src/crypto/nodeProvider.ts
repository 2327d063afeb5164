// ts-mls CryptoProvider backed by node:crypto (OpenSSL). With nodeFranking.ts
// and nodeMerkle.ts (the server's franking batches and Merkle trees), the only
// modules in the package allowed to import node built-ins, all reached through
// `@safelight/protocol/node`: browsers keep ts-mls's WebCrypto default. That default re-imports a CryptoKey on every HMAC, AEAD
// and signature call; here keys are plain bytes (HMAC, AES) or imported once
// and cached (Ed25519), which is what makes message protection fast.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomFillSync,
  sign as nodeSign,
  timingSafeEqual,
  verify as nodeVerify,
  type KeyObject,
} from "node:crypto";
import {
  ciphersuites,
  CryptoError,
  defaultCryptoProvider,
  DependencyError,
  type CiphersuiteImpl,
  type CryptoProvider,
  type Hash,
  type Hpke,
  type Kdf,
  type Rng,
  type Signature,
} from "ts-mls";
import { BoundedCache } from "./boundedCache.js";
import { ED25519_KEY_LENGTH, ed25519PrivateToPkcs8, ed25519PublicToSpki } from "./ed25519Der.js";

// MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519 (RFC 9420 §17.1).
const SUITE_1 = ciphersuites.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
const HASH = "sha256";
const HASH_LENGTH = 32;
const AEAD = "aes-128-gcm";
const AEAD_KEY_LENGTH = 16;
const AEAD_NONCE_LENGTH = 12;
const AEAD_TAG_LENGTH = 16;
const KEY_CACHE_CAPACITY = 1024;

/** Copy out of a Buffer: Buffers may be views into a shared pool, and ts-mls zeroes and slices what we return. */
function bytes(buf: Uint8Array): Uint8Array {
  return new Uint8Array(buf);
}

const hash: Hash = {
  async digest(data) {
    return bytes(createHash(HASH).update(data).digest());
  },
  async mac(key, data) {
    return bytes(createHmac(HASH, key).update(data).digest());
  },
  async verifyMac(key, mac, data) {
    const expected = createHmac(HASH, key).update(data).digest();
    return mac.length === expected.length && timingSafeEqual(expected, mac);
  },
};

// RFC 5869 §2.3 HKDF-Expand. node's hkdf() always runs Extract first, and MLS
// (RFC 9420 §8) calls Extract and Expand separately, so Expand is the HMAC chain.
function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 255 * HASH_LENGTH) {
    throw new RangeError(`HKDF-Expand length ${length} out of range`);
  }
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let offset = 0, counter = 1; offset < length; counter++) {
    previous = createHmac(HASH, prk).update(previous).update(info).update(Uint8Array.of(counter)).digest();
    out.set(previous.subarray(0, Math.min(HASH_LENGTH, length - offset)), offset);
    offset += HASH_LENGTH;
  }
  return out;
}

const kdf: Kdf = {
  // RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM); an empty salt is HashLen zeros, which HMAC's key padding already gives.
  async extract(salt, ikm) {
    return bytes(createHmac(HASH, salt).update(ikm).digest());
  },
  async expand(prk, info, len) {
    return hkdfExpand(prk, info, len);
  },
  size: HASH_LENGTH,
};

function checkAeadInputs(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== AEAD_KEY_LENGTH) throw new CryptoError(`AES-128-GCM key must be ${AEAD_KEY_LENGTH} bytes`);
  if (nonce.length !== AEAD_NONCE_LENGTH) throw new CryptoError(`AES-128-GCM nonce must be ${AEAD_NONCE_LENGTH} bytes`);
}

/** AES-128-GCM seal; output is ciphertext || 16-byte tag, as HPKE and MLS expect (RFC 5116 §5.1). */
export function aes128GcmEncrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  checkAeadInputs(key, nonce);
  const cipher = createCipheriv(AEAD, key, nonce, { authTagLength: AEAD_TAG_LENGTH });
  cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  const out = new Uint8Array(head.length + tail.length + AEAD_TAG_LENGTH);
  out.set(head, 0);
  out.set(tail, head.length);
  out.set(cipher.getAuthTag(), head.length + tail.length);
  return out;
}

/** AES-128-GCM open; throws CryptoError when the tag does not authenticate. */
export function aes128GcmDecrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  checkAeadInputs(key, nonce);
  if (ciphertext.length < AEAD_TAG_LENGTH) throw new CryptoError("AES-128-GCM ciphertext shorter than its tag");
  const split = ciphertext.length - AEAD_TAG_LENGTH;
  const decipher = createDecipheriv(AEAD, key, nonce, { authTagLength: AEAD_TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(ciphertext.subarray(split));
  const head = decipher.update(ciphertext.subarray(0, split));
  let tail: Uint8Array;
  try {
    tail = decipher.final();
  } catch {
    throw new CryptoError("AES-128-GCM authentication failed");
  }
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}

// Imported Ed25519 keys. Fast path: ts-mls hands us the same Uint8Array for a
// member's key on every message, so remember the KeyObject per array (WeakMap,
// re-checked against a copy of the bytes in case the array was mutated). Slow
// path: a bounded cache keyed by the bytes; private keys by their digest, so raw
// secrets never sit around as immutable strings.
interface Imported {
  bytes: Uint8Array;
  key: KeyObject;
}
const privateByArray = new WeakMap<Uint8Array, Imported>();
const publicByArray = new WeakMap<Uint8Array, Imported>();
const privateKeys = new BoundedCache<KeyObject>(KEY_CACHE_CAPACITY);
const publicKeys = new BoundedCache<KeyObject>(KEY_CACHE_CAPACITY);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function viaArray(byArray: WeakMap<Uint8Array, Imported>, raw: Uint8Array, load: () => KeyObject): KeyObject {
  const hit = byArray.get(raw);
  if (hit !== undefined && sameBytes(hit.bytes, raw)) return hit.key;
  const key = load();
  byArray.set(raw, { bytes: Uint8Array.from(raw), key });
  return key;
}

const privateId = (signKey: Uint8Array): string => createHash(HASH).update(signKey).digest("base64");
const publicId = (publicKey: Uint8Array): string => Buffer.from(publicKey).toString("base64");

/** Import a private key; the temporary DER copies of the secret are wiped afterwards. */
function loadPrivateKey(signKey: Uint8Array): KeyObject {
  const pkcs8 = ed25519PrivateToPkcs8(signKey);
  const der = Buffer.from(pkcs8);
  try {
    return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  } finally {
    der.fill(0);
    // eslint-disable-next-line safelight/no-byte-array-equality -- identity is meant: never wipe the caller's own key array
    if (pkcs8 !== signKey) pkcs8.fill(0);
  }
}

function importPrivateKey(signKey: Uint8Array): KeyObject {
  return viaArray(privateByArray, signKey, () => privateKeys.getOrCreate(privateId(signKey), () => loadPrivateKey(signKey)));
}

function importPublicKey(publicKey: Uint8Array): KeyObject {
  return viaArray(publicByArray, publicKey, () =>
    publicKeys.getOrCreate(publicId(publicKey), () =>
      createPublicKey({ key: Buffer.from(ed25519PublicToSpki(publicKey)), format: "der", type: "spki" }),
    ),
  );
}

/** Synchronous Ed25519 verification of `message` under a raw 32-byte public key (the key imported once
 *  and cached, as for MLS); false on any malformed input. */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array): boolean {
  if (publicKey.length !== ED25519_KEY_LENGTH || sig.length !== 64) return false;
  try {
    return nodeVerify(null, message, importPublicKey(publicKey), sig);
  } catch {
    return false;
  }
}

const signature: Signature = {
  // Ed25519 is pure EdDSA (RFC 8032 §5.1): node takes a null digest.
  async sign(signKey, message) {
    return bytes(nodeSign(null, message, importPrivateKey(signKey)));
  },
  async verify(publicKey, message, sig) {
    // A malformed key or signature is a failed verification, not a crash.
    try {
      return nodeVerify(null, message, importPublicKey(publicKey), sig);
    } catch {
      return false;
    }
  },
  // Returns the raw 32-byte seed (RFC 8032 form); both providers accept it.
  async keygen() {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const jwk = privateKey.export({ format: "jwk" });
    if (jwk.d === undefined || jwk.x === undefined) throw new CryptoError("Ed25519 JWK export lacks key material");
    const signKey = bytes(Buffer.from(jwk.d, "base64url"));
    const pub = bytes(Buffer.from(jwk.x, "base64url"));
    if (signKey.length !== ED25519_KEY_LENGTH || pub.length !== ED25519_KEY_LENGTH) {
      throw new CryptoError("Ed25519 keygen produced unexpected key sizes");
    }
    privateKeys.getOrCreate(privateId(signKey), () => privateKey);
    publicKeys.getOrCreate(publicId(pub), () => publicKey);
    return { signKey, publicKey: pub };
  },
};

const rng: Rng = {
  randomBytes(n) {
    return randomFillSync(new Uint8Array(n));
  },
};

// HPKE (RFC 9180) stays with @hpke/core via ts-mls's default provider: we do
// not reimplement it. Only its raw AEAD entry points, which MLS uses for
// PrivateMessage content, sender data and the Welcome's GroupInfo
// (RFC 9420 §6.3, §12.4.3.1), are routed to node's AES-GCM.
function withNodeAead(base: Hpke): Hpke {
  return {
    ...base,
    async encryptAead(key, nonce, aad, plaintext) {
      return aes128GcmEncrypt(key, nonce, aad ?? new Uint8Array(0), plaintext);
    },
    async decryptAead(key, nonce, aad, ciphertext) {
      return aes128GcmDecrypt(key, nonce, aad ?? new Uint8Array(0), ciphertext);
    },
  };
}

async function makeSuite1(): Promise<CiphersuiteImpl> {
  const base = await defaultCryptoProvider.getCiphersuiteImpl(SUITE_1);
  return { id: SUITE_1, hash, kdf, signature, rng, hpke: withNodeAead(base.hpke) };
}

let suite1: Promise<CiphersuiteImpl> | undefined;

/** CryptoProvider for Node: ciphersuite 1 only; other suites are refused rather than silently delegated. */
export const nodeCryptoProvider: CryptoProvider = {
  getCiphersuiteImpl(id: number): Promise<CiphersuiteImpl> {
    if (id !== SUITE_1) {
      return Promise.reject(new DependencyError(`nodeCryptoProvider supports only ciphersuite ${SUITE_1}, not ${id}`));
    }
    suite1 ??= makeSuite1();
    return suite1;
  },
};
