export * from "./engine.js";
export { MlsEngineError } from "./errors.js";
