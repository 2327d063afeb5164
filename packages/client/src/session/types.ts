/** The types of the client session's public surface, re-exported by the facade (client.ts). */
import type { ConversationKind, CryptoProvider } from "@safelight/protocol";
import type { ClientStore, SavedFile } from "../store/types.js";

export interface OutgoingFile {
  name: string;
  type: string;
  bytes: Uint8Array;
}

/** Where decrypted attachments go; returns the path (or key) they were saved under. */
export type FileSink = (messageId: string, name: string, bytes: Uint8Array) => Promise<string>;

export interface ReceivedMessage {
  id: string;
  conversation: string;
  kind: ConversationKind;
  title: string;
  from: string;
  fromAccountId: string;
  fromDeviceId: string;
  text: string;
  sentAt: number;
  files: SavedFile[];
  /** Part of a message request this account has not accepted (docs/safety.md). */
  request?: boolean;
}

export interface ClientOptions {
  store: ClientStore;
  fileSink?: FileSink;
  provider?: CryptoProvider;
  /** Told about queue items that were dropped because they failed MLS or content checks. */
  warn?: (message: string) => void;
}

export interface ConversationSummary {
  id: string;
  kind: ConversationKind;
  title: string;
  active: boolean;
  members: string[];
}
