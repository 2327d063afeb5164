// Node entry for crypto. Browser bundles should import ts-mls's default
// (WebCrypto) provider instead: nodeProvider.ts pulls in node:crypto.
export { nodeCryptoProvider } from "./nodeProvider.js";

/** The ciphersuite Safelight uses (RFC 9420 §17.1, suite 0x0001); defined once, by the MLS engine. */
export { DEFAULT_SUITE as defaultSuiteName } from "../mls/engine.js";
