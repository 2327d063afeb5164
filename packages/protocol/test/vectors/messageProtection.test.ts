// message-protection.json: PublicMessage / PrivateMessage framing of a proposal,
// a commit and application data (RFC 9420 §6.1-6.3): the vector's messages must
// unprotect to the given content, and our own protection must round-trip.
import { describe, expect, it } from "vitest";
import { contentTypes, decode, defaultKeyRetentionConfig, defaultPaddingConfig, encode, mlsMessageDecoder, wireformats } from "ts-mls";
import type { CiphersuiteImpl, GroupContext, MlsMessage, PrivateMessage, PublicMessage } from "ts-mls";
import { describeVectors, hex, loadVectors } from "./common.js";
import {
  commitEncoder,
  createSecretTree,
  proposalDecoder,
  proposalEncoder,
  protectApplicationData,
  protectProposalPublic,
  unprotectPrivateMessage,
  unprotectPublicMessage,
} from "./tsMlsInternals.js";

interface MessageProtection {
  cipher_suite: number;
  group_id: string;
  epoch: number;
  tree_hash: string;
  confirmed_transcript_hash: string;
  signature_priv: string;
  signature_pub: string;
  encryption_secret: string;
  sender_data_secret: string;
  membership_key: string;
  proposal: string;
  proposal_priv: string;
  proposal_pub: string;
  commit: string;
  commit_priv: string;
  commit_pub: string;
  application: string;
  application_priv: string;
}

const vectors = loadVectors<MessageProtection>("message-protection.json");
// The generator's group has two members and the sender is leaf 1 (mls-implementations test-vectors.md).
const LEAVES = 2;
const SENDER = 1;
const retention = { ...defaultKeyRetentionConfig, maximumForwardRatchetSteps: 1 << 16 };

function context(v: MessageProtection): GroupContext {
  return {
    version: 1,
    cipherSuite: v.cipher_suite,
    groupId: hex(v.group_id),
    epoch: BigInt(v.epoch),
    treeHash: hex(v.tree_hash),
    confirmedTranscriptHash: hex(v.confirmed_transcript_hash),
    extensions: [],
  };
}

function privateOf(bytes: Uint8Array): PrivateMessage {
  const m = decode(mlsMessageDecoder, bytes) as MlsMessage | undefined;
  if (m?.wireformat !== wireformats.mls_private_message) throw new Error("expected an MLSMessage(PrivateMessage)");
  return m.privateMessage;
}
function publicOf(bytes: Uint8Array): PublicMessage {
  const m = decode(mlsMessageDecoder, bytes) as MlsMessage | undefined;
  if (m?.wireformat !== wireformats.mls_public_message) throw new Error("expected an MLSMessage(PublicMessage)");
  return m.publicMessage;
}

async function openPrivate(v: MessageProtection, cs: CiphersuiteImpl, msg: PrivateMessage) {
  const tree = createSecretTree(LEAVES, hex(v.encryption_secret));
  const out = await unprotectPrivateMessage(hex(v.sender_data_secret), msg, tree, [], context(v), retention, cs, hex(v.signature_pub));
  return out.content.content;
}
const openPublic = (v: MessageProtection, cs: CiphersuiteImpl, msg: PublicMessage) =>
  unprotectPublicMessage(hex(v.membership_key), context(v), [], msg, cs, hex(v.signature_pub));

await describeVectors("message-protection", vectors, {
  "vector messages unprotect to their content": async ({ vector: v, cs }) => {
    const app = await openPrivate(v, cs, privateOf(hex(v.application_priv)));
    expect(app.contentType).toBe(contentTypes.application);
    if (app.contentType === contentTypes.application) expect(app.applicationData).toEqual(hex(v.application));

    for (const content of [await openPrivate(v, cs, privateOf(hex(v.proposal_priv))), (await openPublic(v, cs, publicOf(hex(v.proposal_pub)))).content]) {
      if (content.contentType !== contentTypes.proposal) throw new Error("expected a proposal");
      expect(encode(proposalEncoder, content.proposal)).toEqual(hex(v.proposal));
    }
    for (const content of [await openPrivate(v, cs, privateOf(hex(v.commit_priv))), (await openPublic(v, cs, publicOf(hex(v.commit_pub)))).content]) {
      if (content.contentType !== contentTypes.commit) throw new Error("expected a commit");
      expect(encode(commitEncoder, content.commit)).toEqual(hex(v.commit));
    }
  },

  "our protection round-trips and tampering is rejected": async ({ vector: v, cs }) => {
    const tree = createSecretTree(LEAVES, hex(v.encryption_secret));
    const sealed = await protectApplicationData(
      hex(v.signature_priv),
      hex(v.sender_data_secret),
      hex(v.application),
      new Uint8Array(0),
      context(v),
      tree,
      SENDER,
      defaultPaddingConfig,
      cs,
    );
    const opened = await openPrivate(v, cs, sealed.privateMessage);
    if (opened.contentType !== contentTypes.application) throw new Error("expected application data");
    expect(opened.applicationData).toEqual(hex(v.application));

    const flipped = Uint8Array.from(sealed.privateMessage.ciphertext);
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    await expect(openPrivate(v, cs, { ...sealed.privateMessage, ciphertext: flipped })).rejects.toThrow();

    const proposal = decode(proposalDecoder, hex(v.proposal))!;
    const pub = await protectProposalPublic(hex(v.signature_priv), hex(v.membership_key), context(v), new Uint8Array(0), proposal, SENDER, cs);
    expect((await openPublic(v, cs, pub.publicMessage)).content).toEqual(pub.publicMessage.content);
    // A wrong membership key must fail the membership tag (RFC 9420 §6.2).
    await expect(
      unprotectPublicMessage(new Uint8Array(cs.kdf.size), context(v), [], pub.publicMessage, cs, hex(v.signature_pub)),
    ).rejects.toThrow(/membership/);
  },
});
