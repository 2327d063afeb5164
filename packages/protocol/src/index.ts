export * from "./identity.js";
export * from "./base64.js";
export * from "./mls/index.js";
export * from "./content.js";
export * from "./franking.js";
export * from "./attachment.js";
export * from "./deviceKeys.js";
export * from "./inspect/index.js";
