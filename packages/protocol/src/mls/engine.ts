/**
 * Safelight's MLS engine: the only module that drives ts-mls group operations. Everything above it
 * (client SDK, CLI, web) sees opaque byte strings and the small types below, so the MLS library can be
 * swapped without touching the rest.
 *
 * Handshake messages go out as PublicMessage (RFC 9420 §6.2; RFC 9750 §5.1) so the delivery service can
 * track membership; application messages are PrivateMessage (§6.3).
 */
import {
  createApplicationMessage,
  createCommit,
  createGroup,
  decode,
  defaultCredentialTypes,
  defaultProposalTypes,
  encode,
  generateKeyPackageWithKey,
  getCiphersuiteImpl,
  joinGroup,
  makeKeyPackageRef,
  mlsMessageDecoder,
  mlsMessageEncoder,
  nodeTypes,
  privateKeyPackageDecoder,
  privateKeyPackageEncoder,
  clientStateDecoder,
  clientStateEncoder,
  processMessage,
  protocolVersions,
  wireformats,
  zeroOutUint8Array,
  type AuthenticationService,
  type CiphersuiteImpl,
  type ClientState,
  type CryptoProvider,
  type KeyPackage,
  type MlsContext,
  type PrivateKeyPackage,
  type Proposal,
} from "ts-mls";
import { decodeIdentity, encodeIdentity, type DeviceIdentity } from "../identity.js";
import { MlsEngineError } from "./errors.js";

export const DEFAULT_SUITE = "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519" as const;

/** Opaque to callers: persist it with encodeGroupState, never inspect it. */
export type GroupState = ClientState;

export interface SigningKeys {
  /** 32-byte Ed25519 seed. */
  signKey: Uint8Array;
  /** 32-byte Ed25519 public key; registered with the server as the device key. */
  publicKey: Uint8Array;
}

/** Decides whether a credential may be trusted: the device directory (RFC 9420 §5.3.1). */
export type CredentialCheck = (who: DeviceIdentity, signatureKey: Uint8Array) => Promise<boolean>;

export interface Engine {
  readonly suite: CiphersuiteImpl;
  readonly context: MlsContext;
}

export interface Member {
  leaf: number;
  accountId: string;
  deviceId: string;
  signatureKey: Uint8Array;
}

export type Incoming =
  | { kind: "application"; state: GroupState; plaintext: Uint8Array; sender: Member; aad: Uint8Array }
  | { kind: "commit"; state: GroupState; removedSelf: boolean };

export async function createEngine(opts: { provider?: CryptoProvider; checkCredential: CredentialCheck }): Promise<Engine> {
  const suite = await getCiphersuiteImpl(DEFAULT_SUITE, opts.provider);
  const authService: AuthenticationService = {
    async validateCredential(credential, signaturePublicKey) {
      if (credential.credentialType !== defaultCredentialTypes.basic || !("identity" in credential)) return false;
      const who = decodeIdentity(credential.identity);
      return who !== undefined && (await opts.checkCredential(who, signaturePublicKey));
    },
  };
  return { suite, context: { cipherSuite: suite, authService } };
}

export function encodeMessage(message: Parameters<typeof mlsMessageEncoder>[0]): Uint8Array {
  return encode(mlsMessageEncoder, message);
}

function decodeMessage(bytes: Uint8Array) {
  const message = decode(mlsMessageDecoder, bytes);
  if (message === undefined) throw new MlsEngineError("malformed MLS message");
  return message;
}

export interface NewKeyPackage {
  /** MLSMessage(KeyPackage), for the server's directory. */
  keyPackage: Uint8Array;
  /** KeyPackageRef (RFC 9420 §5.2), to find the private half when a Welcome names it. */
  ref: Uint8Array;
  /** Secret: keep on the device only. */
  privateKeyPackage: PrivateKeyPackage;
}

export async function newKeyPackage(engine: Engine, who: DeviceIdentity, keys: SigningKeys): Promise<NewKeyPackage> {
  const { publicPackage, privatePackage } = await generateKeyPackageWithKey({
    credential: { credentialType: defaultCredentialTypes.basic, identity: encodeIdentity(who) },
    signatureKeyPair: keys,
    cipherSuite: engine.suite,
  });
  return {
    keyPackage: encodeMessage({
      wireformat: wireformats.mls_key_package,
      version: protocolVersions.mls10,
      keyPackage: publicPackage,
    }),
    ref: await makeKeyPackageRef(publicPackage, engine.suite.hash),
    privateKeyPackage: privatePackage,
  };
}

function keyPackageOf(bytes: Uint8Array): KeyPackage {
  const message = decodeMessage(bytes);
  if (message.wireformat !== wireformats.mls_key_package) throw new MlsEngineError("expected a KeyPackage");
  return message.keyPackage;
}

/** Creates a one-member group at epoch 0 from one of our own KeyPackages (RFC 9420 §11). */
export async function newGroup(
  engine: Engine,
  groupId: Uint8Array,
  own: { keyPackage: Uint8Array; privateKeyPackage: PrivateKeyPackage },
): Promise<GroupState> {
  return createGroup({
    context: engine.context,
    groupId,
    keyPackage: keyPackageOf(own.keyPackage),
    privateKeyPackage: own.privateKeyPackage,
  });
}

export interface CommitResult {
  state: GroupState;
  /** MLSMessage(PublicMessage) carrying the commit. */
  commit: Uint8Array;
  /** MLSMessage(Welcome), present when members were added. */
  welcome: Uint8Array | undefined;
}

/** One commit with Add and Remove proposals by value (RFC 9420 §12.4). The ratchet tree rides in the
 *  Welcome's GroupInfo (§12.4.3.3) so joiners need no side channel. */
export async function commitChanges(
  engine: Engine,
  state: GroupState,
  changes: { add?: Uint8Array[]; removeLeaves?: number[] },
): Promise<CommitResult> {
  const proposals: Proposal[] = [
    ...(changes.add ?? []).map(
      (kp): Proposal => ({ proposalType: defaultProposalTypes.add, add: { keyPackage: keyPackageOf(kp) } }),
    ),
    ...(changes.removeLeaves ?? []).map(
      (leaf): Proposal => ({ proposalType: defaultProposalTypes.remove, remove: { removed: leaf } }),
    ),
  ];
  const result = await createCommit({
    context: engine.context,
    state,
    extraProposals: proposals,
    wireAsPublicMessage: true,
    ratchetTreeExtension: true,
  });
  result.consumed.forEach(zeroOutUint8Array);
  return {
    state: result.newState,
    commit: encodeMessage(result.commit),
    welcome: result.welcome === undefined ? undefined : encodeMessage(result.welcome),
  };
}

/** The KeyPackageRefs a Welcome is addressed to (RFC 9420 §12.4.3.1). */
export function welcomeRecipients(welcome: Uint8Array): Uint8Array[] {
  const message = decodeMessage(welcome);
  if (message.wireformat !== wireformats.mls_welcome) throw new MlsEngineError("expected a Welcome");
  return message.welcome.secrets.map((s) => s.newMember);
}

export async function joinFromWelcome(
  engine: Engine,
  welcome: Uint8Array,
  own: { keyPackage: Uint8Array; privateKeyPackage: PrivateKeyPackage },
): Promise<GroupState> {
  const message = decodeMessage(welcome);
  if (message.wireformat !== wireformats.mls_welcome) throw new MlsEngineError("expected a Welcome");
  return joinGroup({
    context: engine.context,
    welcome: message.welcome,
    keyPackage: keyPackageOf(own.keyPackage),
    privateKeys: own.privateKeyPackage,
  });
}

export async function encryptApplication(
  engine: Engine,
  state: GroupState,
  plaintext: Uint8Array,
  authenticatedData?: Uint8Array,
): Promise<{ state: GroupState; message: Uint8Array }> {
  const result = await createApplicationMessage({
    context: engine.context,
    state,
    message: plaintext,
    ...(authenticatedData ? { authenticatedData } : {}),
  });
  result.consumed.forEach(zeroOutUint8Array);
  return { state: result.newState, message: encodeMessage(result.message) };
}

/** Processes a commit or application message for this group. Throws MlsEngineError on anything the
 *  MLS rules reject (bad signature, wrong epoch, unknown sender…). */
export async function processIncoming(engine: Engine, state: GroupState, bytes: Uint8Array): Promise<Incoming> {
  const message = decodeMessage(bytes);
  if (message.wireformat !== wireformats.mls_private_message && message.wireformat !== wireformats.mls_public_message) {
    throw new MlsEngineError("expected a framed MLS message");
  }
  const before = state.ratchetTree;
  const result = await processMessage({ context: engine.context, state, message });
  result.consumed.forEach(zeroOutUint8Array);
  if (result.kind === "applicationMessage") {
    const sender = result.senderLeafIndex === undefined ? undefined : memberAt(before, result.senderLeafIndex);
    if (sender === undefined) throw new MlsEngineError("application message from a non-member");
    return { kind: "application", state: result.newState, plaintext: result.message, sender, aad: result.aad };
  }
  return { kind: "commit", state: result.newState, removedSelf: result.newState.groupActiveState.kind !== "active" };
}

function memberAt(tree: GroupState["ratchetTree"], leaf: number): Member | undefined {
  const node = tree[leaf * 2];
  if (node === undefined || node.nodeType !== nodeTypes.leaf) return undefined;
  const credential = node.leaf.credential;
  if (credential.credentialType !== defaultCredentialTypes.basic || !("identity" in credential)) return undefined;
  const who = decodeIdentity(credential.identity);
  if (who === undefined) return undefined;
  return { leaf, ...who, signatureKey: node.leaf.signaturePublicKey };
}

export function members(state: GroupState): Member[] {
  const out: Member[] = [];
  for (let leaf = 0; leaf * 2 < state.ratchetTree.length; leaf++) {
    const m = memberAt(state.ratchetTree, leaf);
    if (m) out.push(m);
  }
  return out;
}

export function epochOf(state: GroupState): bigint {
  return state.groupContext.epoch;
}

export function groupIdOf(state: GroupState): Uint8Array {
  return state.groupContext.groupId;
}

export function ownLeaf(state: GroupState): number {
  return state.privatePath.leafIndex;
}

export function isActive(state: GroupState): boolean {
  return state.groupActiveState.kind === "active";
}

export function encodeGroupState(state: GroupState): Uint8Array {
  return encode(clientStateEncoder, state);
}

export function decodeGroupState(bytes: Uint8Array): GroupState {
  const state = decode(clientStateDecoder, bytes);
  if (state === undefined) throw new MlsEngineError("corrupt stored group state");
  return state;
}

export function encodePrivateKeyPackage(p: PrivateKeyPackage): Uint8Array {
  return encode(privateKeyPackageEncoder, p);
}

export function decodePrivateKeyPackage(bytes: Uint8Array): PrivateKeyPackage {
  const p = decode(privateKeyPackageDecoder, bytes);
  if (p === undefined) throw new MlsEngineError("corrupt stored private key package");
  return p;
}

export { zeroOutUint8Array as wipe };
export type { CryptoProvider, PrivateKeyPackage };
