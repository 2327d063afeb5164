import type { FastifyError, FastifyInstance } from "fastify";
import { ApiError, ERROR_CODES, errorBody, isStorageFull, storageFull, type ErrorCode } from "../errors.js";
import { isDatabaseUnavailable } from "../storage/postgres/pool.js";

/** Maps Fastify's own errors (parsing, validation, limits) onto the documented codes. */
function classify(err: FastifyError): { code: ErrorCode; message: string } {
  if (err.validation) return { code: "SL_ERR_BAD_REQUEST", message: `invalid request: ${err.message}` };
  switch (err.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { code: "SL_ERR_TOO_LARGE", message: "request body too large" };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return { code: "SL_ERR_UNSUPPORTED_MEDIA_TYPE", message: "unsupported content type" };
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return { code: "SL_ERR_MALFORMED_JSON", message: "request body is not valid JSON" };
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return { code: "SL_ERR_BAD_REQUEST", message: "content length does not match the body" };
  }
  if (isStorageFull(err)) return { code: "SL_ERR_STORAGE_FULL", message: storageFull().message };
  if (isDatabaseUnavailable(err)) return { code: "SL_ERR_UNAVAILABLE", message: "the database is unreachable; try again shortly" };
  if (err instanceof SyntaxError) return { code: "SL_ERR_MALFORMED_JSON", message: "request body is not valid JSON" };
  if (err.statusCode === 503) return { code: "SL_ERR_UNAVAILABLE", message: "server is shutting down" };
  if (err.statusCode === 413) return { code: "SL_ERR_TOO_LARGE", message: "request body too large" };
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return { code: "SL_ERR_BAD_REQUEST", message: err.message };
  }
  return { code: "SL_ERR_INTERNAL", message: "internal error" };
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof ApiError) {
      if (err.status >= 500) request.log.error({ err }, "request failed");
      else request.log.info({ code: err.code }, "request rejected");
      // currentEpoch is mirrored at top level so clients can read it without digging.
      const body = errorBody(err.code, err.message, err.details);
      return reply.status(err.status).send(err.details ? { ...body, ...err.details } : body);
    }
    const { code, message } = classify(err);
    const status = ERROR_CODES[code];
    if (status >= 500) request.log.error({ err }, "unhandled error");
    else request.log.info({ code, fastifyCode: err.code }, "request rejected");
    return reply.status(status).send(errorBody(code, message));
  });

  app.setNotFoundHandler((request, reply) => {
    return reply.status(404).send(errorBody("SL_ERR_NOT_FOUND", `no route ${request.method} ${request.url.split("?")[0]}`));
  });
}
