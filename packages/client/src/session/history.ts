/** History: what this device has stored, projected for reading. Reads only the store it is given; member
 *  names come from the resolver it is given (the directory's cache, or the directory itself). */
import { decodeGroupState, members } from "@safelight/protocol";
import type { ClientStore, StoredMessage } from "../store/types.js";
import type { ConversationSummary } from "./types.js";

/** Every conversation on this device with the accounts MLS lists as its members (RFC 9420 §7.8). */
export async function conversations(store: ClientStore, nameOf: (accountId: string) => Promise<string>): Promise<ConversationSummary[]> {
  const groups = await store.listGroups();
  return Promise.all(
    groups.map(async (g) => ({
      id: g.groupId,
      kind: g.kind,
      title: g.title,
      active: g.active,
      members: await Promise.all([...new Set(members(decodeGroupState(g.state)).map((m) => m.accountId))].map(nameOf)),
    })),
  );
}

/** Stored messages, of one conversation or all, in the store's order. */
export async function history(store: ClientStore, groupId?: string): Promise<StoredMessage[]> {
  return store.listMessages(groupId);
}
