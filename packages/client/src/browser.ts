/** Browser-only client pieces: the IndexedDB store, an attachment sink into it, and live delivery. */
import type { FileSink } from "./session/client.js";
import { fileKey, type IndexedDbClientStore } from "./store/indexedDbStore.js";

export { IndexedDbClientStore, fileKey, type StoredFile } from "./store/indexedDbStore.js";
export { connectLive, coalesce, wsUrl, type LiveConnection, type LiveOptions, type LiveState, type PushedItem } from "./transport/live.js";

/** Keeps decrypted attachments in the page's IndexedDB; the returned "path" is the file's key there. */
export function indexedDbFileSink(store: IndexedDbClientStore): FileSink {
  return async (messageId, name, bytes) => {
    const key = fileKey(messageId, name);
    await store.putFile(key, { name, bytes });
    return key;
  };
}
