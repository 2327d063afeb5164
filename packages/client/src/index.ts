// Runs in Node and browsers. Node-only pieces (SQLite store, file sink) are in "@safelight/client/node".
export {
  SafelightClient,
  type ClientOptions,
  type ContactVerification,
  type ConversationEvent,
  type ConversationSummary,
  type AccountDeviceInfo,
  type DeviceChange,
  deviceChangeText,
  type DisappearingSetting,
  TIMER_LABELS,
  timerText,
  TYPING_SETTINGS,
  type FileSink,
  type HashListInfo,
  type HistoryMessage,
  type MessageStatus,
  type OutgoingFile,
  type ReceivedMessage,
  type SearchHit,
  type SearchOptions,
  type SendOptions,
} from "./session/client.js";
export { SafelightError } from "./errors.js";
export type * from "./transport/moderationTypes.js";
export type * from "./store/types.js";
export { SafetyCalls, noticeText, type InboundSetting, type MessageRequest, type Person, type SafetyAction, type SafetyNotice } from "./session/safety.js";
export { formatCheckpoint, parseCheckpoint, KT_ERROR_CODES, type Checkpoint, type KeyTransparencyAlarm } from "./session/keyTransparency.js";
export { auditLog, type AuditResult } from "./session/ktAudit.js";
