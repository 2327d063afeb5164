/** Real MLS encodings (ts-mls): a KeyPackage, add/remove commits, a Welcome and an application message. */
import {
  createApplicationMessage,
  createCommit,
  createGroup,
  defaultCredentialTypes,
  defaultProposalTypes,
  encode,
  generateKeyPackageWithKey,
  getCiphersuiteImpl,
  mlsMessageEncoder,
  protocolVersions,
  unsafeTestingAuthenticationService,
  wireformats,
  type MlsContext,
} from "ts-mls";

export async function fixture() {
  const cs = await getCiphersuiteImpl("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519");
  const context: MlsContext = { cipherSuite: cs, authService: unsafeTestingAuthenticationService };
  const member = async (accountId: string, deviceId: string) => {
    const keys = await cs.signature.keygen();
    const kp = await generateKeyPackageWithKey({
      credential: { credentialType: defaultCredentialTypes.basic, identity: new TextEncoder().encode(`${accountId}.${deviceId}`) },
      signatureKeyPair: keys,
      cipherSuite: cs,
    });
    return { keys, ...kp };
  };
  const alice = await member("acctA", "devA");
  const bob = await member("acctB", "devB");
  const groupId = new Uint8Array(16).fill(7);
  const state = await createGroup({ context, groupId, keyPackage: alice.publicPackage, privateKeyPackage: alice.privatePackage });
  const add = await createCommit({
    context,
    state,
    wireAsPublicMessage: true,
    extraProposals: [{ proposalType: defaultProposalTypes.add, add: { keyPackage: bob.publicPackage } }],
  });
  const remove = await createCommit({
    context,
    state: add.newState,
    wireAsPublicMessage: true,
    extraProposals: [{ proposalType: defaultProposalTypes.remove, remove: { removed: 1 } }],
  });
  const app = await createApplicationMessage({ context, state: add.newState, message: new TextEncoder().encode("secret") });
  const kpBytes = encode(mlsMessageEncoder, { wireformat: wireformats.mls_key_package, version: protocolVersions.mls10, keyPackage: bob.publicPackage });
  return {
    groupId,
    bob,
    kpBytes,
    addBytes: encode(mlsMessageEncoder, add.commit),
    removeBytes: encode(mlsMessageEncoder, remove.commit),
    welcomeBytes: encode(mlsMessageEncoder, add.welcome!),
    appBytes: encode(mlsMessageEncoder, app.message),
  };
}
