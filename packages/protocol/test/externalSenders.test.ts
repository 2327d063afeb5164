// Proves the ts-mls external_senders patch (patches/ts-mls+2.0.0-rc.10.patch,
// docs/mls-engine.md): RFC 9420 §12.1.8.1 defines the extension body as
// `ExternalSender external_senders<V>`, a vector, not a single ExternalSender.
import { describe, expect, it } from "vitest";
import {
  createCommit,
  createGroup,
  createGroupInfoWithExternalPub,
  defaultCredentialTypes,
  defaultExtensionTypes,
  defaultProposalTypes,
  encode,
  generateKeyPackage,
  getCiphersuiteImpl,
  joinGroup,
  processPublicMessage,
  proposeExternal,
  unsafeTestingAuthenticationService,
  wireformats,
  type CiphersuiteImpl,
  type ExternalSender,
  type GroupContextExtension,
} from "ts-mls";
import { nodeCryptoProvider } from "../src/crypto/nodeProvider.js";
import { extensionEncoder, groupContextExtensionDecoder, varLenTypeDecoder } from "./vectors/tsMlsInternals.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** RFC 9420 §2.1.2 variable-length integer (the RFC 9000 §16 varint, 1/2/4-byte forms). */
function varint(n: number): Uint8Array {
  if (n < 0x40) return Uint8Array.of(n);
  if (n < 0x4000) return Uint8Array.of(0x40 | (n >> 8), n & 0xff);
  if (n < 0x40000000) return Uint8Array.of(0x80 | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  throw new RangeError("varint too large");
}
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
/** opaque data<V>: varint length, then the bytes. */
const opaque = (data: Uint8Array): Uint8Array => concat(varint(data.length), data);
const uint16 = (n: number): Uint8Array => Uint8Array.of(n >> 8, n & 0xff);

/** struct { SignaturePublicKey signature_key; Credential credential; } with a basic credential (RFC 9420 §5.3). */
function encodeExternalSender(signatureKey: Uint8Array, identity: Uint8Array): Uint8Array {
  return concat(opaque(signatureKey), uint16(defaultCredentialTypes.basic), opaque(identity));
}

// Two senders; the first key is 200 bytes so the outer vector needs the 2-byte varint form.
const senders = [
  { key: Uint8Array.from({ length: 200 }, (_, i) => i), identity: utf8("moderation-bot") },
  { key: Uint8Array.from({ length: 32 }, (_, i) => 0xa0 ^ i), identity: utf8("compliance") },
];
const senderBytes = concat(...senders.map((s) => encodeExternalSender(s.key, s.identity)));
// Extension { uint16 extension_type = external_senders(5); opaque extension_data<V> = external_senders<V> }.
const extensionBytes = concat(uint16(defaultExtensionTypes.external_senders), opaque(opaque(senderBytes)));
// GroupContext.extensions is Extension extensions<V>.
const extensionsVector = opaque(extensionBytes);

describe("external_senders group-context extension (RFC 9420 §12.1.8.1)", () => {
  it("hand-built bytes use the long varint form, so the test exercises real length prefixes", () => {
    expect(opaque(senderBytes)[0]! >> 6).toBe(1);
  });

  it("decodes two hand-encoded senders as a list of two, with their keys and credentials", () => {
    const decoded = varLenTypeDecoder(groupContextExtensionDecoder)(extensionsVector, 0);
    expect(decoded).toBeDefined();
    const [extensions, consumed] = decoded!;
    expect(consumed).toBe(extensionsVector.length);
    expect(extensions).toHaveLength(1);
    const ext = extensions[0]!;
    expect(ext.extensionType).toBe(defaultExtensionTypes.external_senders);
    const list = ext.extensionData as ExternalSender[];
    expect(Array.isArray(list)).toBe(true);
    expect(list).toHaveLength(2);
    list.forEach((sender, i) => {
      expect(sender.signaturePublicKey).toEqual(senders[i]!.key);
      expect(sender.credential).toEqual({ credentialType: defaultCredentialTypes.basic, identity: senders[i]!.identity });
    });
  });

  it("re-encodes to the identical bytes", () => {
    const [extensions] = varLenTypeDecoder(groupContextExtensionDecoder)(extensionsVector, 0)!;
    expect(encode(extensionEncoder, extensions[0]!)).toEqual(extensionBytes);
  });

  it("rejects an extension body with trailing bytes instead of silently truncating it", () => {
    const padded = concat(uint16(defaultExtensionTypes.external_senders), opaque(concat(opaque(senderBytes), Uint8Array.of(0))));
    expect(groupContextExtensionDecoder(padded, 0)).toBeUndefined();
  });

  it("a ts-mls group created with two external senders can be joined, and the second sender's proposal verifies", async () => {
    const cs: CiphersuiteImpl = await getCiphersuiteImpl("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519", nodeCryptoProvider);
    const context = { cipherSuite: cs, authService: unsafeTestingAuthenticationService };
    const member = async (name: string) =>
      generateKeyPackage({ credential: { credentialType: defaultCredentialTypes.basic, identity: utf8(name) }, cipherSuite: cs });
    const [alice, bob] = [await member("alice"), await member("bob")];
    const externals = [await cs.signature.keygen(), await cs.signature.keygen()];
    const externalSenders: ExternalSender[] = externals.map((k, i) => ({
      signaturePublicKey: k.publicKey,
      credential: { credentialType: defaultCredentialTypes.basic, identity: utf8(`external-${i}`) },
    }));
    const extension: GroupContextExtension = { extensionType: defaultExtensionTypes.external_senders, extensionData: externalSenders };

    let aliceState = await createGroup({
      context,
      groupId: utf8("external-senders-group"),
      keyPackage: alice.publicPackage,
      privateKeyPackage: alice.privatePackage,
      extensions: [extension],
    });
    const commit = await createCommit({
      context,
      state: aliceState,
      extraProposals: [{ proposalType: defaultProposalTypes.add, add: { keyPackage: bob.publicPackage } }],
      ratchetTreeExtension: true,
    });
    aliceState = commit.newState;
    expect(commit.welcome).toBeDefined();
    let bobState = await joinGroup({
      context,
      welcome: commit.welcome!.welcome,
      keyPackage: bob.publicPackage,
      privateKeys: bob.privatePackage,
    });

    // Bob decoded the extension from the Welcome's GroupInfo: both senders survive.
    const joined = bobState.groupContext.extensions.find((e) => e.extensionType === defaultExtensionTypes.external_senders);
    expect(joined?.extensionData).toEqual(externalSenders);

    // sender_index 1 must resolve inside the vector (RFC 9420 §6.1, §12.1.8.1).
    const groupInfo = await createGroupInfoWithExternalPub(aliceState, [], cs);
    const carol = await member("carol");
    const proposal = await proposeExternal(
      groupInfo,
      { proposalType: defaultProposalTypes.add, add: { keyPackage: carol.publicPackage } },
      externals[1]!.publicKey,
      externals[1]!.signKey,
      cs,
    );
    if (proposal.wireformat !== wireformats.mls_public_message) throw new Error("expected a public message");
    expect(proposal.publicMessage.content.sender).toEqual({ senderType: 2, senderIndex: 1 });
    bobState = (await processPublicMessage({ context, state: bobState, publicMessage: proposal.publicMessage })).newState;
    aliceState = (await processPublicMessage({ context, state: aliceState, publicMessage: proposal.publicMessage })).newState;
    expect(Object.keys(bobState.unappliedProposals)).toHaveLength(1);
    expect(Object.keys(aliceState.unappliedProposals)).toHaveLength(1);

    // A proposal signed by a key outside the list is refused.
    const stranger = await cs.signature.keygen();
    await expect(
      proposeExternal(
        groupInfo,
        { proposalType: defaultProposalTypes.add, add: { keyPackage: carol.publicPackage } },
        stranger.publicKey,
        stranger.signKey,
        cs,
      ),
    ).rejects.toThrow(/external_sender/);
  });
});
