export { buildApp, type AppOptions } from "./app.js";
export { startServer, type RunningServer, type StartOptions } from "./start.js";
export { DEFAULT_CONFIG, resolveConfig, type LimitsConfig, type ServerConfig, type ServerOptions } from "./config.js";
export { ERROR_CODES, ApiError, type ErrorCode } from "./errors.js";
export type { Storage } from "./storage/types.js";
export type { BlobStore, WriteResult } from "./blobs/store.js";
export { openSqliteStorage } from "./storage/sqlite.js";
export { InProcessNotifier, type Notifier } from "./realtime/notifier.js";
export { migrateToPostgres, setAccountRole, type MigrationResult } from "./admin.js";
