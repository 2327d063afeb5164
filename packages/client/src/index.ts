// Runs in Node and browsers. Node-only pieces (SQLite store, file sink) are in "@safelight/client/node".
export { SafelightClient, type ClientOptions, type HashListInfo, type SearchHit, type SearchOptions, type ConversationSummary, type FileSink, type OutgoingFile, type ReceivedMessage } from "./session/client.js";
export { SafelightError } from "./errors.js";
export type { AuditEntry, DecisionAction, ReportDetail, ReportReason, ReportSummary } from "./transport/api.js";
export type * from "./store/types.js";
export { SafetyCalls, noticeText, type InboundSetting, type MessageRequest, type Person, type SafetyAction, type SafetyNotice } from "./session/safety.js";
