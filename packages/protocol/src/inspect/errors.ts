/** Why a byte string could not be inspected. Callers map every kind to "400 bad MLS bytes". */
export type InspectErrorKind = "too-large" | "malformed" | "unsupported";

export class MlsInspectError extends Error {
  readonly kind: InspectErrorKind;
  constructor(kind: InspectErrorKind, message: string) {
    super(message);
    this.name = "MlsInspectError";
    this.kind = kind;
  }
}
