// ts-mls's package.json "exports" only exposes its root; the vector tests need
// the building blocks underneath (key schedule, tree math, codecs). Import them
// by file path, in this one place, so a ts-mls upgrade breaks one file.

export * from "../../../../node_modules/ts-mls/dist/src/crypto/hash.js";
export * from "../../../../node_modules/ts-mls/dist/src/crypto/kdf.js";
export * from "../../../../node_modules/ts-mls/dist/src/crypto/signature.js";
export * from "../../../../node_modules/ts-mls/dist/src/crypto/hpke.js";
export * from "../../../../node_modules/ts-mls/dist/src/treemath.js";
export * from "../../../../node_modules/ts-mls/dist/src/keySchedule.js";
export * from "../../../../node_modules/ts-mls/dist/src/secretTree.js";
export * from "../../../../node_modules/ts-mls/dist/src/transcriptHash.js";
export * from "../../../../node_modules/ts-mls/dist/src/welcome.js";
export * from "../../../../node_modules/ts-mls/dist/src/messageProtection.js";
export * from "../../../../node_modules/ts-mls/dist/src/messageProtectionPublic.js";
export * from "../../../../node_modules/ts-mls/dist/src/privateMessage.js";
export * from "../../../../node_modules/ts-mls/dist/src/publicMessage.js";
export * from "../../../../node_modules/ts-mls/dist/src/groupContext.js";
export * from "../../../../node_modules/ts-mls/dist/src/authenticatedContent.js";
export * from "../../../../node_modules/ts-mls/dist/src/presharedkey.js";
export * from "../../../../node_modules/ts-mls/dist/src/framedContent.js";
export * from "../../../../node_modules/ts-mls/dist/src/ratchetTree.js";
export * from "../../../../node_modules/ts-mls/dist/src/treeHash.js";
export * from "../../../../node_modules/ts-mls/dist/src/extension.js";
export * from "../../../../node_modules/ts-mls/dist/src/externalSender.js";
export * from "../../../../node_modules/ts-mls/dist/src/codec/variableLength.js";
export * from "../../../../node_modules/ts-mls/dist/src/sender.js";
export * from "../../../../node_modules/ts-mls/dist/src/proposal.js";
export * from "../../../../node_modules/ts-mls/dist/src/commit.js";
export * from "../../../../node_modules/ts-mls/dist/src/keyPackage.js";
export * from "../../../../node_modules/ts-mls/dist/src/groupInfo.js";
export * from "../../../../node_modules/ts-mls/dist/src/groupSecrets.js";
export { validateRatchetTree } from "../../../../node_modules/ts-mls/dist/src/clientState.js";
export * from "../../../../node_modules/ts-mls/dist/src/updatePath.js";
export * from "../../../../node_modules/ts-mls/dist/src/privateKeyPath.js";
export * from "../../../../node_modules/ts-mls/dist/src/pathSecrets.js";
export * from "../../../../node_modules/ts-mls/dist/src/parentHash.js";
export { applyUpdatePathSecret } from "../../../../node_modules/ts-mls/dist/src/createCommit.js";
