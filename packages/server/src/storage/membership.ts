import { StorageError } from "./storageError.js";
import type { DeviceRef, MemberRecord } from "./types.js";

/**
 * Applies a commit's membership changes to the leaf map, the way every MLS client does to its
 * ratchet tree (RFC 9420 §12.3: removes before adds).
 *
 * - remove: the leaf must be occupied and not the committer's (§12.2); it becomes blank. Truncating
 *   blank leaves at the right edge (§7.8) never changes an occupied leaf's index, so a leaf map
 *   that only stores occupied leaves needs no extra step.
 * - add: the leftmost blank leaf, else a new leaf at the right (§7.7, §12.1.1). With only occupied
 *   leaves stored, that is the smallest index not in use: any blank leaf inside the tree is smaller
 *   than the tree's width, and if there is none the smallest free index is the width itself.
 */
export function applyMembership(
  members: readonly MemberRecord[],
  committerLeaf: number,
  removes: number[],
  adds: DeviceRef[],
): { members: MemberRecord[]; added: MemberRecord[]; removed: MemberRecord[] } {
  const byLeaf = new Map(members.map((m) => [m.leaf, m]));
  const removed: MemberRecord[] = [];
  for (const leaf of removes) {
    const member = byLeaf.get(leaf);
    // SL-V020 (RFC 9420 §12.2): a Remove names a non-blank leaf
    if (member === undefined) throw new StorageError({ kind: "blank-leaf-removal", leaf });
    // SL-V021 (RFC 9420 §12.2): a commit does not remove its committer
    if (leaf === committerLeaf) throw new StorageError({ kind: "committer-removal" });
    byLeaf.delete(leaf);
    removed.push(member);
  }
  const added: MemberRecord[] = [];
  for (const who of adds) {
    for (const m of byLeaf.values()) {
      // SL-V022 (RFC 9420 §12.2): an Add does not add a client already in the group
      if (m.deviceId === who.deviceId) throw new StorageError({ kind: "already-member", deviceId: who.deviceId });
    }
    let leaf = 0;
    while (byLeaf.has(leaf)) leaf++;
    const member = { leaf, accountId: who.accountId, deviceId: who.deviceId };
    byLeaf.set(leaf, member);
    added.push(member);
  }
  const next = [...byLeaf.values()].sort((a, b) => a.leaf - b.leaf);
  return { members: next, added, removed };
}
