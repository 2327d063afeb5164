export { MlsInspectError, type InspectErrorKind } from "./errors.js";
export { type InspectedKeyPackage, type InspectedLeaf } from "./keyPackage.js";
export {
  MAX_MLS_BYTES,
  decodeMlsMessage,
  inspectKeyPackage,
  inspectMessage,
  tryInspectMessage,
  type ContentTypeLabel,
  type InspectedMessage,
  type InspectedProposal,
  type InspectedSender,
  type WireformatLabel,
} from "./message.js";
