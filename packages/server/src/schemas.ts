/** JSON schemas shared by several routes. Response schemas also filter what leaves the server. */

export const b64 = { type: "string", pattern: "^[A-Za-z0-9_-]*$" } as const;
export const id = { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" } as const;

export const errorSchema = {
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        currentEpoch: { type: "integer" },
      },
      required: ["code", "message"],
    },
    currentEpoch: { type: "integer" },
  },
  required: ["error"],
} as const;

/** Attach to every route: the documented error envelope for any 4xx/5xx. */
export const errorResponses = { "4xx": errorSchema, "5xx": errorSchema } as const;

export const deviceRefSchema = {
  type: "object",
  properties: { accountId: id, deviceId: id },
  required: ["accountId", "deviceId"],
} as const;

/** A franking inclusion proof (docs/franking.md): RFC 9162 leaf index, tree size and path (≤ 53 hashes). */
export const frankProofSchema = object({
  leafIndex: { type: "integer", minimum: 0 },
  treeSize: { type: "integer", minimum: 1 },
  inclusionPath: { type: "array", maxItems: 53, items: { ...b64, maxLength: 43 } },
});

export const queueItemSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    seq: { type: "integer" },
    kind: { type: "string", enum: ["commit", "welcome", "application", "device-linked", "safety-notice"] },
    groupId: b64,
    sender: deviceRefSchema,
    sentAt: { type: "integer" },
    data: b64,
    /** The server's stamp (docs/franking.md). `proof` is missing only on items queued before batch
     *  signing; recipients drop those as unverifiable, so they must still serialise. */
    frank: {
      type: "object",
      properties: { keyId: { type: "string" }, serverFrank: b64, signature: b64, proof: frankProofSchema },
      required: ["keyId", "serverFrank", "signature"],
    },
    /** From a conversation that is still a message request for this recipient (docs/safety.md). */
    request: { type: "boolean" },
  },
  required: ["id", "seq", "kind", "sentAt"],
} as const;

export const sessionSchema = {
  type: "object",
  properties: {
    accountId: id,
    deviceId: id,
    token: { type: "string" },
    expiresAt: { type: "integer" },
  },
  required: ["accountId", "deviceId", "token", "expiresAt"],
} as const;

export const emptyBody = { type: "object", additionalProperties: false, properties: {} } as const;

/** A closed object schema; every property is required unless listed in `optional`. */
export function object(properties: Record<string, unknown>, optional: string[] = []) {
  return {
    type: "object",
    additionalProperties: false,
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
  } as const;
}

/** `response` for a route: its success body plus the documented error envelope. */
export function replies(status: 200 | 201, body: unknown) {
  return { [status]: body, ...errorResponses };
}

/** `{ <field>: string, expiresAt }`: challenges and link codes. */
export function expiringSecret(field: string) {
  return replies(200, object({ [field]: { type: "string" }, expiresAt: { type: "integer" } }));
}
