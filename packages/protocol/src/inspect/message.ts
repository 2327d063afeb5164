import {
  contentTypes,
  defaultProposalTypes,
  mlsMessageDecoder,
  proposalOrRefTypes,
  senderTypes,
  wireformats,
  type FramedContent,
  type MlsMessage,
  type Proposal,
  type ProposalOrRef,
  type Sender,
} from "ts-mls";
import { MlsInspectError } from "./errors.js";
import { describeKeyPackage, describeLeaf, type InspectedKeyPackage, type InspectedLeaf } from "./keyPackage.js";

/** Messages above this size are refused before decoding (the JSON body limit is 1 MiB anyway). */
export const MAX_MLS_BYTES = 1024 * 1024;

export type WireformatLabel = "public_message" | "private_message" | "welcome" | "group_info" | "key_package";
export type ContentTypeLabel = "application" | "proposal" | "commit";

export type InspectedSender =
  | { type: "member"; leafIndex: number }
  | { type: "external"; senderIndex: number }
  | { type: "new_member_proposal" }
  | { type: "new_member_commit" };

export type InspectedProposal =
  | { type: "add"; keyPackage: InspectedKeyPackage }
  | { type: "remove"; leafIndex: number }
  | { type: "update" }
  | { type: "other"; proposalType: number }
  /** A proposal by reference (RFC 9420 §12.4): its content is not visible in the commit. */
  | { type: "reference" };

export interface InspectedMessage {
  wireformat: WireformatLabel;
  /** Present for public and private messages (RFC 9420 §6.2, §6.3.1 clear header). */
  groupId?: Uint8Array;
  epoch?: bigint;
  contentType?: ContentTypeLabel;
  /** Only public messages reveal the sender; a private message's sender data is encrypted. */
  sender?: InspectedSender;
  /** Proposals carried by a public commit or a public proposal message, in order. */
  proposals: InspectedProposal[];
  /** Whether a public commit carries an UpdatePath (RFC 9420 §12.4). */
  hasPath?: boolean;
  /** The committer's new leaf from the UpdatePath (RFC 9420 §7.6): it may change the credential. */
  pathLeaf?: InspectedLeaf;
  /** For wireformat key_package. */
  keyPackage?: InspectedKeyPackage;
  /** PrivateMessage authenticated_data, sent in the clear (RFC 9420 §6.3): carries the franking tag. */
  authenticatedData?: Uint8Array;
  /** For wireformat welcome: the cipher suite and number of recipients (RFC 9420 §12.4.3.1). */
  welcome?: { cipherSuite: number; recipients: number };
}

const WIREFORMAT_LABELS: Record<number, WireformatLabel> = {
  [wireformats.mls_public_message]: "public_message",
  [wireformats.mls_private_message]: "private_message",
  [wireformats.mls_welcome]: "welcome",
  [wireformats.mls_group_info]: "group_info",
  [wireformats.mls_key_package]: "key_package",
};

const CONTENT_LABELS: Record<number, ContentTypeLabel> = {
  [contentTypes.application]: "application",
  [contentTypes.proposal]: "proposal",
  [contentTypes.commit]: "commit",
};

/** Decodes exactly one MLSMessage (RFC 9420 §6) occupying all of `bytes`. Throws MlsInspectError. */
export function decodeMlsMessage(bytes: Uint8Array): MlsMessage {
  // SL-V010 (RFC 9420 §6): an MLSMessage over MAX_MLS_BYTES is refused before any decoding
  if (bytes.length > MAX_MLS_BYTES) throw new MlsInspectError("too-large", "MLS message too large");
  let result: [MlsMessage, number] | undefined;
  try {
    result = mlsMessageDecoder(bytes, 0);
  } catch {
    result = undefined;
  }
  // SL-V001 (RFC 9420 §6): the input is exactly one MLSMessage, decodable and without trailing bytes
  if (result === undefined) throw new MlsInspectError("malformed", "not a decodable MLSMessage");
  // Trailing bytes would let two different byte strings mean one message; refuse them.
  if (result[1] !== bytes.length) throw new MlsInspectError("malformed", "trailing bytes after MLSMessage");
  return result[0];
}

/** Reads what a Delivery Service may read from an MLSMessage. Throws MlsInspectError on bad input. */
export function inspectMessage(bytes: Uint8Array): InspectedMessage {
  const msg = decodeMlsMessage(bytes);
  const wireformat = WIREFORMAT_LABELS[msg.wireformat];
  if (wireformat === undefined) throw new MlsInspectError("unsupported", "unknown wireformat");
  try {
    return describe(msg, wireformat);
  } catch (err) {
    if (err instanceof MlsInspectError) throw err;
    throw new MlsInspectError("malformed", "MLSMessage has an unexpected structure");
  }
}

/** Like inspectMessage but returns undefined instead of throwing. */
export function tryInspectMessage(bytes: Uint8Array): InspectedMessage | undefined {
  try {
    return inspectMessage(bytes);
  } catch {
    return undefined;
  }
}

/** Inspects an MLSMessage that must be a KeyPackage (wireformat mls_key_package). */
export function inspectKeyPackage(bytes: Uint8Array): InspectedKeyPackage {
  const info = inspectMessage(bytes);
  if (info.keyPackage === undefined) throw new MlsInspectError("unsupported", "not a KeyPackage message");
  return info.keyPackage;
}

function describe(msg: MlsMessage, wireformat: WireformatLabel): InspectedMessage {
  switch (msg.wireformat) {
    case wireformats.mls_public_message:
      return { wireformat, ...describeFramed(msg.publicMessage.content) };
    case wireformats.mls_private_message: {
      const pm = msg.privateMessage;
      return {
        wireformat,
        groupId: pm.groupId,
        epoch: pm.epoch,
        contentType: contentLabel(pm.contentType),
        authenticatedData: pm.authenticatedData,
        proposals: [],
      };
    }
    case wireformats.mls_welcome:
      return {
        wireformat,
        proposals: [],
        welcome: { cipherSuite: msg.welcome.cipherSuite, recipients: msg.welcome.secrets.length },
      };
    case wireformats.mls_key_package:
      return { wireformat, proposals: [], keyPackage: describeKeyPackage(msg.keyPackage) };
    default:
      return { wireformat, proposals: [] };
  }
}

function describeFramed(content: FramedContent): Omit<InspectedMessage, "wireformat"> {
  const base = {
    groupId: content.groupId,
    epoch: content.epoch,
    contentType: contentLabel(content.contentType),
    sender: describeSender(content.sender),
  };
  if (content.contentType === contentTypes.commit) {
    const path = content.commit.path;
    return {
      ...base,
      proposals: content.commit.proposals.map(describeProposalOrRef),
      hasPath: path !== undefined,
      ...(path && { pathLeaf: describeLeaf(path.leafNode) }),
    };
  }
  if (content.contentType === contentTypes.proposal) {
    return { ...base, proposals: [describeProposal(content.proposal)] };
  }
  return { ...base, proposals: [] };
}

function contentLabel(value: number): ContentTypeLabel {
  const label = CONTENT_LABELS[value];
  if (label === undefined) throw new MlsInspectError("unsupported", "unknown content type");
  return label;
}

function describeSender(sender: Sender): InspectedSender {
  switch (sender.senderType) {
    case senderTypes.member:
      return { type: "member", leafIndex: sender.leafIndex };
    case senderTypes.external:
      return { type: "external", senderIndex: sender.senderIndex };
    case senderTypes.new_member_proposal:
      return { type: "new_member_proposal" };
    default:
      return { type: "new_member_commit" };
  }
}

function describeProposalOrRef(p: ProposalOrRef): InspectedProposal {
  if (p.proposalOrRefType === proposalOrRefTypes.reference) return { type: "reference" };
  return describeProposal(p.proposal);
}

function describeProposal(p: Proposal): InspectedProposal {
  if (p.proposalType === defaultProposalTypes.add && "add" in p) {
    return { type: "add", keyPackage: describeKeyPackage(p.add.keyPackage) };
  }
  if (p.proposalType === defaultProposalTypes.remove && "remove" in p) {
    return { type: "remove", leafIndex: p.remove.removed };
  }
  if (p.proposalType === defaultProposalTypes.update) return { type: "update" };
  return { type: "other", proposalType: p.proposalType };
}
