/**
 * Local search over the decrypted history this device holds. It reads only the store it is given (and the
 * directory's name cache), so the search text never leaves the device (the ledger in docs/architecture.md).
 * Matching is a case-insensitive substring test on the message text using Unicode default case mapping
 * (String.prototype.toLowerCase), done here rather than in each store, so SQLite and IndexedDB devices find
 * the same messages.
 */
import type { ClientStore, StoredMessage } from "../store/types.js";

export interface SearchOptions {
  /** Search one conversation only. */
  conversation?: string;
}

/** A stored message that matched, with its sender's account name. */
export interface SearchHit extends StoredMessage {
  from: string;
}

/** Stored messages containing `text`, oldest first; an empty or blank query finds nothing. */
export async function search(
  store: ClientStore,
  nameOf: (accountId: string) => Promise<string>,
  text: string,
  opts: SearchOptions = {},
): Promise<SearchHit[]> {
  const needle = text.trim().toLowerCase();
  if (!needle) return [];
  const hits = (await store.listMessages(opts.conversation)).filter((m) => m.text.toLowerCase().includes(needle));
  return Promise.all(hits.map(async (m) => ({ ...m, from: await nameOf(m.senderAccountId) })));
}
