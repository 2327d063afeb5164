/** Raised for MLS input the engine refuses (malformed bytes, wrong message kind, rule violations). */
export class MlsEngineError extends Error {
  override name = "MlsEngineError";
}
