/** Why a byte string could not be inspected. The server answers "too-large" with 413, the rest with 400. */
export type InspectErrorKind = "too-large" | "malformed" | "unsupported";

export class MlsInspectError extends Error {
  readonly kind: InspectErrorKind;
  constructor(kind: InspectErrorKind, message: string) {
    super(message);
    this.name = "MlsInspectError";
    this.kind = kind;
  }
}
