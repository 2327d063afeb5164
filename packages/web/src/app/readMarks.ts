/**
 * What this browser has read, per conversation: the arrival time of the newest message shown while the
 * conversation was open. Kept in localStorage (it is UI state, not secret, and not part of the SDK store).
 */
import type { StoredMessage } from "@safelight/client";

export class ReadMarks {
  private readonly key: string;
  private marks: Record<string, number>;

  constructor(accountId: string) {
    this.key = `safelight.read.${accountId}`;
    try {
      this.marks = JSON.parse(localStorage.getItem(this.key) ?? "{}") as Record<string, number>;
    } catch {
      this.marks = {};
    }
  }

  unread(groupId: string, messages: StoredMessage[]): number {
    return this.unreadOf(groupId, messages).length;
  }

  /** Others' messages of the conversation that arrived after its mark; timeline notices (a device change,
   *  a timer) are not messages to read. */
  unreadOf<M extends StoredMessage & { timer?: number }>(groupId: string, messages: M[]): M[] {
    const mark = this.marks[groupId] ?? 0;
    return messages.filter((m) => m.groupId === groupId && !m.outgoing && !m.device && m.timer === undefined && m.receivedAt > mark);
  }

  /** Returns true when the mark moved (so counts need recomputing). */
  markRead(groupId: string, messages: StoredMessage[]): boolean {
    const newest = Math.max(0, ...messages.map((m) => m.receivedAt));
    if (newest <= (this.marks[groupId] ?? 0)) return false;
    this.marks[groupId] = newest;
    localStorage.setItem(this.key, JSON.stringify(this.marks));
    return true;
  }
}
