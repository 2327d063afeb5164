export type * from "./types.js";
export { openSqliteStorage } from "./sqlite.js";
