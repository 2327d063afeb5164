import { ed25519 } from "@noble/curves/ed25519.js";
import { encode, keyPackageEncoder, defaultCredentialTypes, type KeyPackage, type LeafNode } from "ts-mls";
import { decodeIdentity, type DeviceIdentity } from "../identity.js";
import { encodeVarBytes } from "./varint.js";

/** Who a leaf node (RFC 9420 §7.2) claims to be: what the authentication service checks. */
export interface InspectedLeaf {
  /** 1 = basic (RFC 9420 §5.3.1); other credential types carry no identity here. */
  credentialType: number;
  /** The Safelight device named by a basic credential, undefined if absent or not well-formed. */
  identity: DeviceIdentity | undefined;
  signatureKey: Uint8Array;
}

/** What a server needs to know about a KeyPackage (RFC 9420 §10) to run the authentication service. */
export interface InspectedKeyPackage extends InspectedLeaf {
  cipherSuite: number;
  /** KeyPackage.signature verified with the leaf's own signature key (Ed25519 suites only). */
  signatureValid: boolean;
}

const ED25519_SUITES = new Set([1, 3]);
const LABEL_PREFIX = "MLS 1.0 ";

export function describeLeaf(leaf: LeafNode): InspectedLeaf {
  const cred = leaf.credential;
  const basic = cred.credentialType === defaultCredentialTypes.basic && "identity" in cred;
  return {
    credentialType: cred.credentialType,
    identity: basic ? decodeIdentity(cred.identity) : undefined,
    signatureKey: leaf.signaturePublicKey,
  };
}

export function describeKeyPackage(kp: KeyPackage): InspectedKeyPackage {
  return {
    cipherSuite: kp.cipherSuite,
    ...describeLeaf(kp.leafNode),
    signatureValid: verifyKeyPackageSignature(kp),
  };
}

/**
 * SignWithLabel(., "KeyPackageTBS", KeyPackageTBS) (RFC 9420 §5.1.2, §10). The TBS is the encoded
 * KeyPackage minus its trailing signature<V> field.
 */
function verifyKeyPackageSignature(kp: KeyPackage): boolean {
  if (!ED25519_SUITES.has(kp.cipherSuite)) return false;
  try {
    const full = encode(keyPackageEncoder, kp);
    const sigField = encodeVarBytes(kp.signature);
    const tbs = full.subarray(0, full.length - sigField.length);
    const label = new TextEncoder().encode(LABEL_PREFIX + "KeyPackageTBS");
    const a = encodeVarBytes(label);
    const b = encodeVarBytes(tbs);
    const content = new Uint8Array(a.length + b.length);
    content.set(a, 0);
    content.set(b, a.length);
    return ed25519.verify(kp.signature, content, kp.leafNode.signaturePublicKey);
  } catch {
    return false;
  }
}
