// Node entry for crypto. Browser bundles should import ts-mls's default
// (WebCrypto) provider instead: the node*.ts modules pull in node:crypto.
export { nodeCryptoProvider, verifyEd25519 } from "./nodeProvider.js";
// node:crypto SHA-256, HMAC and Ed25519 for the server's franking batches and Merkle trees (the same
// constructions as franking.ts and merkle.ts).
export { ed25519SigningKey, signFrankBatch, type BatchItem, type SignedBatch } from "./nodeFranking.js";
export { merkleRoot, nodeHash, nodeHashBase64url, nodeLeafHash } from "./nodeMerkle.js";

/** The ciphersuite Safelight uses (RFC 9420 §17.1, suite 0x0001); defined once, by the MLS engine. */
export { DEFAULT_SUITE as defaultSuiteName } from "../mls/engine.js";
